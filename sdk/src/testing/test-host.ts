import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChatChunk, ChatParams } from '../chat.js';
import { isPatternCovered } from '../host-pattern.js';
import type { JsonValue } from '../json.js';
import { parseManifest } from '../manifest-parse.js';
import type { ResolvedManifest } from '../manifest.js';
import type { HostCapabilities } from '../runtime/capabilities.js';
import { createGuardedFetch } from '../runtime/guarded-fetch.js';
import { IsolateRuntime } from '../runtime/isolate-runtime.js';
import { createMemoryCapabilities, type CapturedLog } from './memory-capabilities.js';

export interface TestHostOptions {
  /** The plugin package folder (with `package.json` and the built bundle). Default: the current directory. */
  readonly pluginDir?: string;
  /** What the test grants, as an admin would at enable time. Nothing is granted by default. */
  readonly grants?: {
    /** Host patterns fetch may reach; each must also be declared in the manifest. */
    readonly hosts?: readonly string[];
    /** Private/loopback destinations allowed despite the SSRF guard, e.g. a local test server `127.0.0.1:8080`. */
    readonly allowPrivate?: readonly string[];
    /** Model invocation (`ctx.models`), served by `models` below. */
    readonly models?: boolean;
  };
  readonly secrets?: Readonly<Record<string, string>>;
  readonly workspaceId?: string;
  readonly memoryLimitMb?: number;
  readonly cpuLimitMs?: number;
  readonly kvQuotaBytes?: number;
  /** Serves `ctx.models` when `grants.models` is set. */
  readonly models?: Partial<HostCapabilities['models']>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface TestHost {
  readonly manifest: ResolvedManifest;
  /** Everything the plugin logged, in order. */
  readonly logs: CapturedLog[];
  /** The plugin's kv store, to inspect. */
  readonly kv: Map<string, JsonValue>;
  /** `options.signal` cancels the call as a disconnecting client would (the plugin's `ctx.signal` fires). */
  invokeTool(toolId: string, args: JsonValue, options?: CallOptions): Promise<JsonValue>;
  /** Streams a provider's chat through the isolate, chunk by chunk. */
  chat(providerId: string, request: ChatParams & { model: string }, credentials?: Record<string, unknown>, options?: CallOptions): AsyncIterable<ChatChunk>;
  /** Calls any method of any contribution (`group` as in `definePlugin`: tools, providers, nodes, vectorStores, documentLoaders). */
  call(group: 'tools' | 'providers' | 'nodes' | 'vectorStores' | 'documentLoaders', id: string, method: string, args: JsonValue[], options?: CallOptions): Promise<JsonValue>;
  close(): Promise<void>;
}

/**
 * Loads a built plugin into the same isolate runtime the kernel uses, with
 * exactly the grants the test gives, so `tessera-plugin test` exercises the
 * plugin as it will run for real: no Node APIs, fetch only to granted and
 * declared hosts (SSRF-guarded), kv and secrets scoped to the test.
 */
export async function createTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const dir = resolve(options.pluginDir ?? '.');
  const packageJson = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as unknown;
  const parsed = parseManifest(packageJson);
  if (!parsed.ok) throw new Error(`invalid manifest in ${dir}/package.json:\n${parsed.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  const { manifest, name, version } = parsed;
  const code = await readFile(join(dir, manifest.main), 'utf8').catch(() => {
    throw new Error(`no bundle at ${join(dir, manifest.main)}: run tessera-plugin build first`);
  });

  const declared = manifest.permissions?.network?.hosts ?? [];
  const granted = options.grants?.hosts ?? [];
  // As in the kernel: a grant may narrow the manifest's declaration, never widen it.
  const undeclared = granted.filter((host) => !isPatternCovered(host, declared));
  if (undeclared.length > 0) throw new Error(`cannot grant ${undeclared.join(', ')}: not declared in tessera.permissions.network.hosts (${declared.join(', ') || 'none'})`);
  if (options.grants?.models && !manifest.permissions?.models) throw new Error('cannot grant models: the manifest does not declare tessera.permissions.models');
  const fetch = createGuardedFetch({ grant: { hosts: granted, allowPrivate: options.grants?.allowPrivate ?? [] } });
  const logs: CapturedLog[] = [];
  const caps = createMemoryCapabilities({
    fetch,
    logs,
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.kvQuotaBytes !== undefined ? { kvQuotaBytes: options.kvQuotaBytes } : {}),
    ...(options.grants?.models && options.models ? { models: options.models } : {}),
  });
  const runtime = new IsolateRuntime({
    name: `${name}@${version}`,
    code,
    ...(options.memoryLimitMb !== undefined ? { memoryLimitMb: options.memoryLimitMb } : {}),
    ...(options.cpuLimitMs !== undefined ? { cpuLimitMs: options.cpuLimitMs } : {}),
    onLog: (level, message, fields) => logs.push({ level, message, fields }),
  });
  await runtime.activate();
  const base = { workspaceId: options.workspaceId ?? 'test-workspace', capabilities: caps };
  const scope = (call?: CallOptions) => (call?.signal ? { ...base, signal: call.signal } : base);

  return {
    manifest,
    logs,
    kv: caps.store,
    invokeTool: (toolId, args, call) => runtime.call({ group: 'tools', id: toolId, method: 'invoke' }, [args], scope(call)),
    chat(providerId, request, credentials = {}, call) {
      return runtime.stream({ group: 'providers', id: providerId, method: 'chat' }, [{ ...request, credentials } as unknown as JsonValue], scope(call)) as AsyncIterable<ChatChunk>;
    },
    call: (group, id, method, args, call) => runtime.call({ group, id, method }, args, scope(call)),
    close: () => runtime.dispose(),
  };
}
