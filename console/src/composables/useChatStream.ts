import { ref } from 'vue';
import { api, ApiError, seg, streamPost } from '@/api/client';
import type { AgentThought, AppMode } from '@/api/types';
import { appendToBlocks } from './chatBlocks';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
  /** `content` in blocks: all but the last are finished and never change (see chatBlocks.ts). */
  blocks: string[];
  thoughts: AgentThought[];
  error?: { code: string; message: string };
  usage?: { total_tokens?: number; latency?: number };
  done: boolean;
}

/**
 * The preview chat of an app: POSTs `chat-messages` (or `completion-messages`)
 * with `response_mode: streaming` and builds the answer from the events —
 * `message`/`agent_message` carry `answer` deltas, `agent_thought` the agent's
 * steps, `message_replace` a moderated answer, `message_end` the usage, `error`
 * a failure in-band (docs/api/console-apps.md; Dify's Service API events).
 *
 * Deltas are gathered outside Vue's reactivity and applied once per animation
 * frame (issue #14): a long answer arrives as thousands of deltas, and
 * re-rendering on each one made the preview quadratic in the answer's length.
 */
export function useChatStream(appId: () => string, mode: () => AppMode) {
  const turns = ref<ChatTurn[]>([]);
  const conversationId = ref('');
  const streaming = ref(false);
  let taskId = '';
  let controller: AbortController | undefined;

  async function send(query: string, inputs: Record<string, unknown>) {
    const completion = mode() === 'completion';
    turns.value.push({ role: 'user', content: query, blocks: [query], thoughts: [], done: true });
    turns.value.push({ role: 'assistant', content: '', blocks: [], thoughts: [], done: false });
    const answer = turns.value[turns.value.length - 1]!;
    let pending = '';
    let scheduled = 0;
    const flush = () => {
      if (scheduled) cancelAnimationFrame(scheduled);
      scheduled = 0;
      if (!pending) return;
      const delta = pending;
      pending = '';
      const blocks = answer.blocks.slice();
      appendToBlocks(blocks, delta);
      answer.content += delta;
      answer.blocks = blocks;
    };
    const append = (delta: string) => {
      pending += delta;
      scheduled ||= requestAnimationFrame(flush);
    };
    streaming.value = true;
    controller = new AbortController();
    const path = `/apps/${seg(appId())}/${completion ? 'completion-messages' : 'chat-messages'}`;
    const body = completion
      ? { inputs: { ...inputs, query }, response_mode: 'streaming' }
      : { query, inputs, response_mode: 'streaming', conversation_id: conversationId.value || undefined };
    try {
      await streamPost(path, body, ({ event, data }) => {
        if (typeof data.task_id === 'string') taskId = data.task_id;
        if (typeof data.conversation_id === 'string' && data.conversation_id) conversationId.value = data.conversation_id;
        switch (event) {
          case 'message':
          case 'agent_message':
            append(String(data.answer ?? ''));
            break;
          case 'message_replace':
            pending = '';
            answer.content = '';
            answer.blocks = [];
            append(String(data.answer ?? ''));
            break;
          case 'agent_thought': {
            const thought = data as AgentThought;
            const index = answer.thoughts.findIndex((t) => t.id && t.id === thought.id);
            if (index >= 0) answer.thoughts[index] = { ...answer.thoughts[index], ...thought };
            else answer.thoughts.push(thought);
            break;
          }
          case 'message_end': {
            const usage = (data.metadata as { usage?: ChatTurn['usage'] } | undefined)?.usage;
            if (usage) answer.usage = usage;
            flush();
            answer.done = true;
            break;
          }
          case 'error':
            answer.error = { code: String(data.code ?? 'error'), message: String(data.message ?? '') };
            break;
        }
      }, controller.signal);
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        answer.error = error instanceof ApiError ? { code: error.code, message: error.message } : { code: 'network_error', message: (error as Error).message };
      }
    } finally {
      flush();
      answer.done = true;
      streaming.value = false;
      controller = undefined;
    }
  }

  /** Stops the answer: tells the server (so the model call is cancelled) and closes the stream. */
  async function stop() {
    const id = taskId;
    controller?.abort();
    if (id) await api.post(`/apps/${seg(appId())}/${mode() === 'completion' ? 'completion-messages' : 'chat-messages'}/${seg(id)}/stop`).catch(() => undefined);
  }

  function reset() {
    controller?.abort();
    turns.value = [];
    conversationId.value = '';
    taskId = '';
  }

  return { turns, conversationId, streaming, send, stop, reset };
}
