import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { PluginError, type ChatChunk, type ChatMessage, type ChatParams, type ChatTool, type EmbedParams, type EmbedResult, type ModelDescriptor, type ModelType, type ModerateParams, type ModerateResult, type RerankParams, type RerankResult } from '@tessera/sdk';
import { linkSignals } from '@tessera/sdk/runtime';
import type { Contributions, ProxyOf } from '../plugins/contributions.js';
import type { PluginService } from '../plugins/plugin-service.js';
import { baseUrlGrant, type CredentialStore, type StoredCredential } from './credentials.js';
import type { ProviderInfo, ProviderRegistry } from './providers.js';
import { estimateChatTokens } from './tokens.js';
import { UsageRecorder, priceOf } from './usage.js';

export interface ModelCallOptions {
  readonly signal?: AbortSignal;
  /** Time allowed until the first chunk (streams) or the answer (default 60 s). */
  readonly timeoutMs?: number;
  /** Retries after a rate limit or upstream failure, before anything was streamed (default 2). */
  readonly retries?: number;
}

export interface ModelRuntimeOptions {
  readonly knex: Knex;
  readonly providers: ProviderRegistry;
  readonly credentials: CredentialStore;
  readonly plugins: PluginService;
  readonly contributions: Contributions;
  readonly logger: Logger;
}

const MODEL_CACHE_MS = 10 * 60_000;
/** Cool-down after a rate limit that named no Retry-After. */
const RATE_LIMIT_COOLDOWN_MS = 10_000;
const AUTH_COOLDOWN_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 10_000;

interface Attempt {
  readonly provider: ProviderInfo;
  readonly credential: StoredCredential;
}

/**
 * The model runtime facade: every chat, embedding and rerank call of the
 * platform, addressed by workspace + provider + model. It picks credentials in
 * turn, retries rate limits and upstream failures with back-off (honouring
 * Retry-After) and cools down credentials that fail, enforces time-outs, passes
 * cancellation through to the provider's HTTP request, and records every call.
 */
export class ModelRuntime {
  private readonly models = new Map<string, { at: number; models: Promise<ModelDescriptor[]> }>();
  readonly usage: UsageRecorder;

  constructor(private readonly options: ModelRuntimeOptions) {
    this.usage = new UsageRecorder(options.knex, (error) => options.logger.error({ err: error }, 'could not record model usage'));
  }

  /** Streams a chat completion; chunks arrive as the provider produces them. */
  async *chat(workspaceId: string, provider: string, request: ChatParams, call: ModelCallOptions = {}): AsyncGenerator<ChatChunk> {
    const started = Date.now();
    let ttft: number | null = null;
    let usage = { prompt_tokens: 0, completion_tokens: 0 };
    let attempt: Attempt | undefined;
    let status = 'success';
    let errorCode: string | null = null;
    try {
      const stream = await this.withRetries(workspaceId, provider, call, async (a, signal) => {
        attempt = a;
        const iterator = this.provider(a, signal).chat({ ...request, credentials: a.credential.values })[Symbol.asyncIterator]();
        // The first chunk decides whether this attempt worked; afterwards nothing is retried (the client saw output).
        const first = await iterator.next();
        return { first, iterator };
      });
      const { first, iterator } = stream;
      if (!first.done) {
        ttft = Date.now() - started;
        const chunk = first.value;
        if (chunk.usage) usage = chunk.usage;
        yield chunk;
        for (;;) {
          const step = await iterator.next();
          if (step.done) break;
          const next = step.value;
          if (next.usage) usage = next.usage;
          yield next;
        }
      }
    } catch (error) {
      status = call.signal?.aborted ? 'cancelled' : 'error';
      errorCode = (error as { code?: string }).code ?? 'internal_error';
      throw error;
    } finally {
      if (attempt) await this.record(workspaceId, attempt, request.model, 'llm', usage.prompt_tokens, usage.completion_tokens, Date.now() - started, ttft, status, errorCode);
    }
  }

  async embed(workspaceId: string, provider: string, request: EmbedParams, call: ModelCallOptions = {}): Promise<EmbedResult> {
    return this.unary(workspaceId, provider, 'text-embedding', request.model, call, (p, credentials) => p.embed({ ...request, credentials }), (r: EmbedResult) => [r.usage?.prompt_tokens ?? 0, 0]);
  }

  async rerank(workspaceId: string, provider: string, request: RerankParams, call: ModelCallOptions = {}): Promise<RerankResult> {
    return this.unary(workspaceId, provider, 'rerank', request.model, call, (p, credentials) => p.rerank({ ...request, credentials }), (r: RerankResult) => [r.usage?.prompt_tokens ?? 0, 0]);
  }

  /** Classifies texts with a moderation model (recorded as model type `moderation`, no tokens). */
  async moderate(workspaceId: string, provider: string, request: ModerateParams, call: ModelCallOptions = {}): Promise<ModerateResult> {
    return this.unary(workspaceId, provider, 'moderation', request.model, call, (p, credentials) => p.moderate({ ...request, credentials }), () => [0, 0]);
  }

  /**
   * Prompt tokens of a chat request: the provider's own count when it offers
   * one, else an estimate with OpenAI's tokenizer tables (`exact: false`).
   */
  async countTokens(workspaceId: string, provider: string, request: { model: string; messages: readonly ChatMessage[]; tools?: readonly ChatTool[] }): Promise<{ tokens: number; exact: boolean }> {
    try {
      const tokens = await this.withRetries(workspaceId, provider, { retries: 0, timeoutMs: 10_000 }, (a, signal) => this.provider(a, signal).countTokens({ ...request, credentials: a.credential.values }));
      if (typeof tokens === 'number') return { tokens, exact: true };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'plugin_not_supported') this.options.logger.debug({ err: error, provider }, 'provider token count failed; estimating');
    }
    return { tokens: await estimateChatTokens(request.model, request.messages, request.tools), exact: false };
  }

  /** The models one credential offers (cached ten minutes). */
  listModels(workspaceId: string, provider: ProviderInfo, credential: StoredCredential): Promise<ModelDescriptor[]> {
    const key = credential.id;
    const hit = this.models.get(key);
    if (hit && Date.now() - hit.at < MODEL_CACHE_MS) return hit.models;
    const models = this.provider({ provider, credential }).listModels(credential.values).then((r) => [...r]);
    models.catch(() => this.models.delete(key));
    this.models.set(key, { at: Date.now(), models });
    return models;
  }

  /**
   * What the provider says of one model (features, pricing, context size), from
   * its cached model list; undefined when it is not listed or cannot be listed.
   */
  async describe(workspaceId: string, key: string, model: string): Promise<ModelDescriptor | undefined> {
    try {
      const provider = await this.options.providers.resolve(key);
      const credential = (await this.implicitCredential(workspaceId, provider)) ?? (await this.options.credentials.pick(workspaceId, provider));
      if (credential.id === 'unsaved') {
        return (await this.provider({ provider, credential }).listModels(credential.values)).find((m) => m.model === model);
      }
      return (await this.listModels(workspaceId, provider, credential)).find((m) => m.model === model);
    } catch {
      return undefined;
    }
  }

  /** Runs the provider's own check of `values`; throws a coded error with the provider's message when they are wrong. */
  async validate(workspaceId: string, provider: ProviderInfo, values: Record<string, unknown>): Promise<void> {
    await this.ensureEnabled(workspaceId, provider, null);
    const credential: StoredCredential = { id: 'unsaved', workspaceId, plugin: provider.plugin, provider: provider.id, name: '', values, cooldownUntil: null, lastError: null };
    await this.provider({ provider, credential }).validateCredentials(values);
  }

  forget(credentialId: string): void {
    this.models.delete(credentialId);
  }

  /** Makes sure the provider's plugin is on in the workspace (configuring a provider is the admin's consent). */
  async ensureEnabled(workspaceId: string, provider: ProviderInfo, by: string | null): Promise<void> {
    const installation = await this.options.plugins.installation(workspaceId, provider.plugin);
    if (!installation?.enabled) await this.options.plugins.enable(workspaceId, provider.plugin, installation?.grants ?? {}, undefined, by ?? '00000000-0000-0000-0000-000000000000');
  }

  private async unary<R>(workspaceId: string, provider: string, type: ModelType, model: string, call: ModelCallOptions, work: (proxy: ProxyOf<'model-provider'>, credentials: Record<string, unknown>) => Promise<R>, tokens: (r: R) => [number, number]): Promise<R> {
    const started = Date.now();
    let attempt: Attempt | undefined;
    try {
      const result = await this.withRetries(workspaceId, provider, call, (a, signal) => {
        attempt = a;
        return work(this.provider(a, signal), a.credential.values);
      });
      const [tin, tout] = tokens(result);
      await this.record(workspaceId, attempt!, model, type, tin, tout, Date.now() - started, null, 'success', null);
      return result;
    } catch (error) {
      if (attempt) await this.record(workspaceId, attempt, model, type, 0, 0, Date.now() - started, null, call.signal?.aborted ? 'cancelled' : 'error', (error as { code?: string }).code ?? 'internal_error');
      throw error;
    }
  }

  /**
   * Runs `work` with the next credentials in turn. A rate limit or an auth
   * error cools those credentials down (for Retry-After, or a default) and the
   * call moves to other credentials at once; with none left it waits out a
   * short Retry-After, or fails with the provider's error. Upstream failures
   * and time-outs are retried with exponential back-off.
   */
  private async withRetries<T>(workspaceId: string, key: string, call: ModelCallOptions, work: (attempt: Attempt, signal: AbortSignal) => Promise<T>): Promise<T> {
    const provider = await this.options.providers.resolve(key);
    const retries = call.retries ?? 2;
    const timeoutMs = call.timeoutMs ?? 60_000;
    for (let round = 0; ; round++) {
      const credential = (await this.implicitCredential(workspaceId, provider)) ?? (await this.options.credentials.pick(workspaceId, provider));
      // Covers the answer (or a stream's first chunk) only: once a stream flows it may run long.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new PluginError('plugin_timeout', `${provider.id} did not answer within ${timeoutMs} ms`)), timeoutMs);
      const signal = linkSignals(call.signal, timeout.signal);
      try {
        return await work({ provider, credential }, signal);
      } catch (raw) {
        if (call.signal?.aborted) throw new PluginError('plugin_cancelled', 'the model call was cancelled');
        const error = timeout.signal.aborted ? new PluginError('plugin_timeout', `${provider.id} did not answer within ${timeoutMs} ms`) : (raw as Error);
        const code = (error as { code?: string }).code;
        let wait = Math.min(500 * 2 ** round, MAX_BACKOFF_MS);
        if (code === 'plugin_rate_limited' || code === 'plugin_credentials_invalid') {
          const cooldown = code === 'plugin_credentials_invalid' ? AUTH_COOLDOWN_MS : ((error as PluginError).retryAfterMs ?? RATE_LIMIT_COOLDOWN_MS);
          await this.options.credentials.coolDown(workspaceId, credential.id, cooldown, error.message);
          const others = (await this.options.credentials.list(workspaceId, provider)).some((c) => c.id !== credential.id && (!c.cooldownUntil || c.cooldownUntil.getTime() <= Date.now()));
          if (others) wait = 0;
          else if (code === 'plugin_credentials_invalid' || cooldown > MAX_BACKOFF_MS) throw error;
          else wait = cooldown;
        } else if (!(error instanceof PluginError && error.retryable)) {
          throw error;
        }
        if (round >= retries) throw error;
        this.options.logger.warn({ provider: provider.id, code, round, waitMs: wait }, 'model call failed, retrying');
        await delay(wait, call.signal);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /**
   * A provider that needs no credentials at all (the `local` one) works without
   * being configured: its plugin is switched on and an empty set is used.
   */
  private async implicitCredential(workspaceId: string, provider: ProviderInfo): Promise<StoredCredential | undefined> {
    if (!needsNoCredentials(provider)) return undefined;
    if ((await this.options.credentials.list(workspaceId, provider)).length > 0) return undefined;
    await this.ensureEnabled(workspaceId, provider, null);
    return { id: 'unsaved', workspaceId, plugin: provider.plugin, provider: provider.id, name: 'implicit', values: {}, cooldownUntil: null, lastError: null };
  }

  /** The provider's plugin, called with the credentials' workspace and a grant for their base URL. */
  private provider(attempt: Attempt, signal?: AbortSignal): ProxyOf<'model-provider'> {
    return this.options.contributions.proxy(attempt.provider, { workspaceId: attempt.credential.workspaceId, grants: baseUrlGrant(attempt.credential.values).grants, ...(signal ? { signal } : {}) });
  }

  /** Books the call in the background (price looked up from the provider's cached model list). */
  private async record(workspaceId: string, attempt: Attempt, model: string, type: ModelType, tokensIn: number, tokensOut: number, latencyMs: number, ttftMs: number | null, status: string, errorCode: string | null): Promise<void> {
    const book = async () => {
      let price = 0;
      let currency = 'USD';
      if (attempt.credential.id !== 'unsaved' && (tokensIn > 0 || tokensOut > 0)) {
        const descriptor = (await this.listModels(workspaceId, attempt.provider, attempt.credential).catch(() => [])).find((m) => m.model === model);
        if (descriptor?.pricing) ({ price, currency } = priceOf(descriptor.pricing, tokensIn, tokensOut));
      }
      return { workspaceId, plugin: attempt.provider.plugin, provider: attempt.provider.id, model, type, credentialId: attempt.credential.id === 'unsaved' ? null : attempt.credential.id, tokensIn, tokensOut, latencyMs, ttftMs, price, currency, status, errorCode };
    };
    const onError = (error: unknown) => this.options.logger.error({ err: error }, 'could not record model usage');
    this.usage.record(book(), onError);
  }

}

/** A credentials schema with no fields: nothing to configure. */
export function needsNoCredentials(provider: ProviderInfo): boolean {
  const schema = provider.entry.credentialsSchema as { properties?: Record<string, unknown> };
  return !schema.properties || Object.keys(schema.properties).length === 0;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new PluginError('plugin_cancelled', 'the model call was cancelled'));
    }, { once: true });
  });
}

