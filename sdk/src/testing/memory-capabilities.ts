import type { ChatChunk } from '../chat.js';
import type { LogFields } from '../context.js';
import { PluginError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { HostCapabilities, HostFetchRequest, HostFetchResponse } from '../runtime/capabilities.js';

export interface CapturedLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields | undefined;
}

export interface MemoryCapabilityOptions {
  /** Serves `ctx.fetch`; absent = every fetch is refused as not granted. */
  readonly fetch?: (request: HostFetchRequest) => Promise<HostFetchResponse>;
  readonly secrets?: Readonly<Record<string, string>>;
  /** Bytes of JSON the plugin may keep in kv (default 1 MB). */
  readonly kvQuotaBytes?: number;
  /** Serves `ctx.models`; absent = model invocation is not granted. */
  readonly models?: Partial<HostCapabilities['models']>;
  /** Where logs go (default: kept in `logs`). */
  readonly logs?: CapturedLog[];
}

export interface MemoryCapabilities extends HostCapabilities {
  /** The plugin's kv contents, to inspect in tests. */
  readonly store: Map<string, JsonValue>;
  readonly logs: CapturedLog[];
}

function denied(what: string): PluginError {
  return new PluginError('plugin_permission_denied', `${what} was not granted to this plugin`);
}

/**
 * Capabilities kept in memory: kv in a Map with a byte quota, secrets from an
 * object, logs captured in an array. The plugin test harness uses them; fetch
 * and models are whatever the test grants.
 */
export function createMemoryCapabilities(options: MemoryCapabilityOptions = {}): MemoryCapabilities {
  const store = new Map<string, JsonValue>();
  const expiry = new Map<string, number>();
  const quotaBytes = options.kvQuotaBytes ?? 1024 * 1024;
  const logs = options.logs ?? [];
  const size = () => [...store].reduce((sum, [k, v]) => sum + k.length + JSON.stringify(v).length, 0);
  const live = (key: string) => {
    const until = expiry.get(key);
    if (until !== undefined && until <= Date.now()) {
      store.delete(key);
      expiry.delete(key);
    }
    return store.has(key);
  };
  return {
    store,
    logs,
    fetch: options.fetch ?? (async (request) => {
      throw new PluginError('plugin_permission_denied', `fetch to ${request.url} was not granted to this plugin`);
    }),
    kv: {
      async get(key) {
        return live(key) ? store.get(key) : undefined;
      },
      async set(key, value, ttlSeconds) {
        const before = store.get(key);
        store.set(key, value);
        if (size() > quotaBytes) {
          if (before === undefined) store.delete(key);
          else store.set(key, before);
          throw new PluginError('plugin_quota_exceeded', `kv quota of ${quotaBytes} bytes exceeded`);
        }
        if (ttlSeconds !== undefined) expiry.set(key, Date.now() + ttlSeconds * 1000);
        else expiry.delete(key);
      },
      async delete(key) {
        expiry.delete(key);
        return store.delete(key);
      },
      async list(opts) {
        const keys = [...store.keys()].filter((k) => live(k) && k.startsWith(opts.prefix ?? '')).sort();
        const start = opts.cursor ? keys.findIndex((k) => k > opts.cursor!) : 0;
        const page = keys.slice(start < 0 ? keys.length : start, (start < 0 ? keys.length : start) + (opts.limit ?? 100));
        const last = page[page.length - 1];
        return page.length === (opts.limit ?? 100) && last !== undefined ? { keys: page, cursor: last } : { keys: page };
      },
      async quota() {
        return { usedBytes: size(), quotaBytes };
      },
    },
    secrets: {
      async get(name) {
        return options.secrets?.[name];
      },
      async getAll() {
        return { ...options.secrets };
      },
    },
    models: {
      chat: options.models?.chat ?? (async function* (): AsyncGenerator<ChatChunk> {
        throw denied('model invocation');
      }),
      embed: options.models?.embed ?? (async () => {
        throw denied('model invocation');
      }),
      rerank: options.models?.rerank ?? (async () => {
        throw denied('model invocation');
      }),
    },
    log(level, message, fields) {
      logs.push({ level, message, fields });
    },
  };
}
