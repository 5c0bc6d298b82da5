import type { ChatChunk, ChatParams } from '../chat.js';
import type { KvListOptions, KvListResult, LogFields } from '../context.js';
import type { JsonValue } from '../json.js';
import type { EmbedParams, EmbedResult, RerankParams, RerankResult } from '../model-calls.js';

/** A fetch the host performs for a plugin (the kernel's is SSRF-guarded and limited to granted hosts). */
export interface HostFetchRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
  redirect: 'follow' | 'error' | 'manual';
  signal: AbortSignal;
}

export interface HostFetchResponse {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: [string, string][];
  /** Chunks as they arrive from the network, so streams (SSE) cross the bridge as produced. */
  body: AsyncIterable<Uint8Array> | null;
}

/**
 * What the host grants one call of a plugin: the implementations behind the
 * plugin's `ctx.fetch`, `ctx.kv`, `ctx.secrets`, `ctx.models` and `ctx.log`.
 * The kernel builds one per (plugin, workspace) from the admin's grants; the
 * test harness builds one from the test's grants. A capability the plugin was
 * not granted throws a `PluginError('plugin_permission_denied')`.
 */
export interface HostCapabilities {
  fetch(request: HostFetchRequest): Promise<HostFetchResponse>;
  kv: {
    get(key: string): Promise<JsonValue | undefined>;
    set(key: string, value: JsonValue, ttlSeconds?: number): Promise<void>;
    delete(key: string): Promise<boolean>;
    list(options: KvListOptions): Promise<KvListResult>;
    quota(): Promise<{ usedBytes: number; quotaBytes: number }>;
  };
  secrets: {
    get(name: string): Promise<string | undefined>;
    getAll(): Promise<Record<string, string>>;
  };
  models: {
    chat(request: ChatParams & { provider: string }, signal: AbortSignal): AsyncIterable<ChatChunk>;
    embed(request: EmbedParams & { provider: string }, signal: AbortSignal): Promise<EmbedResult>;
    rerank(request: RerankParams & { provider: string }, signal: AbortSignal): Promise<RerankResult>;
  };
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: LogFields | undefined): void;
}
