import { collectChat } from '@tessera/sdk';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ModelRuntime } from '../models/model-runtime.js';
import type { RunnableApp } from '../apps/apps.js';
import type { MessageRow } from '../conversations/conversations.js';

const NAME_PROMPT = 'Write a short title (at most 8 words, no quotes, same language as the message) for a conversation that starts with the message below. Reply with the title only.';
const SUGGEST_PROMPT = 'Given the exchange below, suggest the three most likely next questions the user would ask. Keep each under 20 words, in the language of the conversation. Reply with a JSON array of three strings and nothing else.';

/**
 * Small model calls around a conversation, made with the app's own model:
 * naming a conversation and suggesting follow-up questions.
 */
export class Assistant {
  private readonly pending = new Set<Promise<unknown>>();
  /** Aborted at shutdown (#14): background naming must not outlive the drain deadline. */
  private readonly stopping = new AbortController();

  constructor(private readonly runtime: ModelRuntime, private readonly knex: Knex, private readonly logger: Logger) {}

  private async ask(runnable: RunnableApp, system: string, user: string, maxTokens: number): Promise<string> {
    const { provider, name } = runnable.config.model;
    const reply = await collectChat(this.runtime.chat(runnable.app.workspace_id, provider, { model: name, messages: [{ role: 'system', content: system }, { role: 'user', content: user }], max_tokens: maxTokens, temperature: 0.2 }, { timeoutMs: 20_000, retries: 1, signal: this.stopping.signal }));
    return typeof reply.message.content === 'string' ? reply.message.content.trim() : '';
  }

  /** A title for a conversation; falls back to the start of the message. */
  async conversationName(runnable: RunnableApp, query: string): Promise<string> {
    const fallback = query.replace(/\s+/g, ' ').trim().slice(0, 40) || 'New conversation';
    try {
      const title = (await this.ask(runnable, NAME_PROMPT, query.slice(0, 2000), 30)).replace(/^["'“”]+|["'“”.]+$/g, '').split('\n')[0]!.trim();
      return title ? title.slice(0, 100) : fallback;
    } catch (error) {
      this.logger.debug({ err: error }, 'could not name the conversation');
      return fallback;
    }
  }

  /** Names a new conversation in the background (its first name is the start of the message). */
  nameInBackground(runnable: RunnableApp, conversationId: string, query: string): void {
    const work = this.conversationName(runnable, query)
      .then((name) => this.knex('conversations').where({ id: conversationId }).update({ name }))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not store the conversation name'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Waits for the background naming started so far, without aborting it (tests, and a worker that must finish it). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Shutdown: aborts background naming's model calls (each then stores its fallback name), and waits for them to settle. */
  async drain(): Promise<void> {
    this.stopping.abort(new Error('server shutting down'));
    await Promise.allSettled([...this.pending]);
  }

  /** Three follow-up questions after `message`; an empty list if the model gives none. */
  async suggestedQuestions(runnable: RunnableApp, message: MessageRow): Promise<string[]> {
    const text = await this.ask(runnable, SUGGEST_PROMPT, `User: ${message.query.slice(0, 4000)}\nAssistant: ${message.answer.slice(0, 4000)}`, 256);
    const match = /\[[\s\S]*\]/.exec(text);
    try {
      const parsed = JSON.parse(match ? match[0] : text) as unknown;
      if (Array.isArray(parsed)) return parsed.filter((q): q is string => typeof q === 'string').map((q) => q.trim()).filter(Boolean).slice(0, 3);
    } catch {
      /* not JSON: read it as lines */
    }
    return text.split('\n').map((line) => line.replace(/^\s*(?:[-*\d.)]+\s*)/, '').trim()).filter(Boolean).slice(0, 3);
  }
}
