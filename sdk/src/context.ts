/**
 * The capabilities the kernel hands to plugin code — and nothing else.
 *
 * Plugin code runs in an isolate with no Node APIs and no ambient I/O. Every
 * side effect goes through a {@link PluginContext}, which the kernel builds per
 * invocation, scoped to the calling workspace and limited by the permissions
 * declared in the plugin's manifest.
 *
 * @module
 */

import type { AbortSignalLike } from "./abort.js";
import type { ChatChunk, ChatParams } from "./chat.js";
import type { JsonValue } from "./json.js";
import type { EmbedParams, EmbedResult, RerankParams, RerankResult } from "./model-calls.js";

/** Response headers, as a read-only subset of WHATWG `Headers`. */
export interface HeadersLike {
  /** The comma-joined values of header `name` (case-insensitive), or `null`. */
  get(name: string): string | null;
  /** Whether header `name` is present. */
  has(name: string): boolean;
  /** Calls `callback` for each header, with lower-cased names. */
  forEach(callback: (value: string, name: string) => void): void;
}

/** The request options accepted by {@link PluginFetch}; a subset of WHATWG `RequestInit`. */
export interface FetchInit {
  /** HTTP method; defaults to `GET`. */
  readonly method?: string;
  /** Request headers. */
  readonly headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  /** Request body. Strings are sent as UTF-8. */
  readonly body?: string | Uint8Array | ArrayBuffer | null;
  /** Redirect policy; defaults to `follow`. Every hop must still be an allowed host. */
  readonly redirect?: "follow" | "error" | "manual";
  /** Cancels the request. Defaults to the invocation's {@link PluginContext.signal}. */
  readonly signal?: AbortSignalLike;
}

/** The response returned by {@link PluginFetch}; a subset of WHATWG `Response`. */
export interface FetchResponse {
  /** HTTP status code. */
  readonly status: number;
  /** HTTP status text. */
  readonly statusText: string;
  /** `true` for 2xx statuses. */
  readonly ok: boolean;
  /** The final URL after redirects. */
  readonly url: string;
  /** Response headers. */
  readonly headers: HeadersLike;
  /** The body as a byte stream (e.g. for server-sent events), or `null` for an empty body. */
  readonly body: AsyncIterable<Uint8Array> | null;
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
  /** Reads the whole body and parses it as JSON. */
  json(): Promise<unknown>;
  /** Reads the whole body as bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A subset of WHATWG `fetch`.
 *
 * Only hosts listed in the manifest's `permissions.network.hosts` are
 * reachable; any other host (including one reached through a redirect) fails
 * with a `plugin_permission_denied` {@link PluginError}.
 *
 * @param input - An absolute `http:` or `https:` URL (a `URL` object works too).
 * @param init - Request options.
 */
export type PluginFetch = (input: string | { readonly href: string }, init?: FetchInit) => Promise<FetchResponse>;

/** Options for {@link KeyValueStore.set}. */
export interface KvSetOptions {
  /** Expire the entry after this many seconds. */
  readonly ttlSeconds?: number;
}

/** Options for {@link KeyValueStore.list}. */
export interface KvListOptions {
  /** Only return keys starting with this prefix. */
  readonly prefix?: string;
  /** Maximum number of keys to return (the kernel caps it, typically at 1000). */
  readonly limit?: number;
  /** Continue from the cursor returned by a previous call. */
  readonly cursor?: string;
}

/** One page of keys returned by {@link KeyValueStore.list}. */
export interface KvListResult {
  /** Keys in lexicographic order. */
  readonly keys: string[];
  /** Pass to the next call to get more keys; absent on the last page. */
  readonly cursor?: string;
}

/**
 * A small persistent key-value store, scoped to the plugin and the calling
 * workspace. Its total size is limited by `permissions.storage.quotaBytes`;
 * a write that would exceed the quota fails with `plugin_quota_exceeded`.
 */
export interface KeyValueStore {
  /** Returns the value stored under `key`, or `undefined`. */
  get(key: string): Promise<JsonValue | undefined>;
  /** Stores `value` under `key`, replacing any previous value. */
  set(key: string, value: JsonValue, options?: KvSetOptions): Promise<void>;
  /** Deletes `key`; resolves to `true` if it existed. */
  delete(key: string): Promise<boolean>;
  /** Lists keys, one page at a time. */
  list(options?: KvListOptions): Promise<KvListResult>;
  /** Current usage and the quota, in bytes. */
  quota(): Promise<{ readonly usedBytes: number; readonly quotaBytes: number }>;
}

/** Read access to the credentials a workspace configured for this plugin. */
export interface SecretStore {
  /** Returns the secret named `name`, or `undefined` if it is not configured. */
  get(name: string): Promise<string | undefined>;
  /** Returns every secret configured for this plugin in the calling workspace. */
  getAll(): Promise<Readonly<Record<string, string>>>;
}

/** Selects the installed provider a reverse model invocation goes to. */
export interface ModelTarget {
  /** The model provider, as `"<plugin-name>/<provider-id>"` or a bare provider id. */
  readonly provider: string;
}

/**
 * Reverse invocation: lets a plugin call the models of providers installed in
 * the calling workspace, using that workspace's credentials. Requires the
 * `permissions.models` manifest permission; otherwise every call fails with
 * `plugin_permission_denied`.
 */
export interface ModelInvoker {
  /** Streams a chat completion. */
  chat(request: ChatParams & ModelTarget): AsyncIterable<ChatChunk>;
  /** Computes embeddings. */
  embed(request: EmbedParams & ModelTarget): Promise<EmbedResult>;
  /** Reranks documents against a query. */
  rerank(request: RerankParams & ModelTarget): Promise<RerankResult>;
}

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, JsonValue | undefined>>;

/** A leveled logger; lines are tagged with the plugin, workspace and invocation. */
export interface PluginLogger {
  /** Verbose diagnostics, normally discarded. */
  debug(message: string, fields?: LogFields): void;
  /** Normal operational messages. */
  info(message: string, fields?: LogFields): void;
  /** Something unexpected that the plugin recovered from. */
  warn(message: string, fields?: LogFields): void;
  /** A failure. */
  error(message: string, fields?: LogFields): void;
}

/**
 * Everything a plugin may use while handling one invocation.
 *
 * Instances are created by the kernel; plugins never construct them (tests
 * may build fakes).
 */
export interface PluginContext {
  /** The workspace the invocation runs on behalf of. */
  readonly workspaceId: string;
  /** Aborted when the caller cancels or the invocation times out. */
  readonly signal: AbortSignalLike;
  /** Network access, restricted to the hosts declared in the manifest. */
  readonly fetch: PluginFetch;
  /** Persistent key-value storage for this plugin in this workspace. */
  readonly kv: KeyValueStore;
  /** This plugin's credentials in this workspace. */
  readonly secrets: SecretStore;
  /** Reverse invocation of installed model providers. */
  readonly models: ModelInvoker;
  /** Logger. */
  readonly log: PluginLogger;
}

/**
 * The context passed to {@link PluginDefinition.activate}. Activation is not
 * tied to a workspace, so workspace-scoped capabilities are not available.
 */
export interface ActivationContext {
  /** Aborted when the kernel gives up waiting for activation or is shutting down. */
  readonly signal: AbortSignalLike;
  /** Logger. */
  readonly log: PluginLogger;
}
