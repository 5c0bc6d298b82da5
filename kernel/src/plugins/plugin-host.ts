import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { MANIFEST_CONTRIBUTION_GROUPS, PluginError, type ChatChunk, type ChatParams, type ContributionGroup, type EmbedParams, type EmbedResult, type JsonValue, type RerankParams, type RerankResult } from '@tessera/sdk';
import { IsolateRuntime, NodeRuntime, PluginHostProcess, ProcessIsolateRuntime, type BridgeLimits, type IsolateRuntimeOptions, type CallTarget, type HostCapabilities, type PluginRuntime } from '@tessera/sdk/runtime';
import { InputError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { SecretBox } from '../security/secret-box.js';
import { createKernelCapabilities } from './capabilities.js';
import type { Grants } from './grants.js';
import type { PackageStore, PluginPackage } from './package-store.js';
import type { Installation, PluginService } from './plugin-service.js';

export interface PluginHostOptions {
  /** Serves `ctx.models` (reverse invocation): the kernel's model runtime, resolved at call time (it runs on this host). */
  readonly modelInvoker?: () => ModelInvoker;
  readonly knex: Knex;
  readonly packages: PackageStore;
  readonly service: PluginService;
  readonly secrets: SecretBox;
  readonly events: EventBus;
  readonly logger: Logger;
  /** Default isolate heap cap (MB) and CPU time per call (ms); grants may change them per plugin. */
  readonly memoryLimitMb: number;
  readonly cpuLimitMs: number;
  /** Wall-clock limits: one call (and loading), a stream's wait for its next item, a whole stream (ms; the SDK's defaults when absent). */
  readonly callTimeoutMs?: number;
  readonly streamIdleTimeoutMs?: number;
  readonly streamTimeoutMs?: number;
  /** Size and rate caps on what a plugin sends to the host (the SDK's defaults when absent). */
  readonly bridgeLimits?: Partial<BridgeLimits>;
  /** Where isolates run: `process` (default) = the plugin-host child process, `inline` = this process (PLUGIN_HOST). */
  readonly isolateHost?: 'process' | 'inline';
  /** Heap cap of the plugin-host process's own V8 heap, MB (PLUGIN_HOST_MEMORY_MB). */
  readonly hostProcessMemoryMb?: number;
  /** Isolates unused this long are disposed (they come back on the next call). */
  readonly idleMs?: number;
  /** Where `node` runtime bundles are written for their worker threads to import. */
  readonly cacheDir: string;
}

const ACTIVE_CACHE_MS = 30_000;

/** The slice of the model runtime facade that `ctx.models` uses (the facade itself sits on top of this host). */
export interface ModelInvoker {
  chat(workspaceId: string, provider: string, params: ChatParams, call: { signal: AbortSignal }): AsyncIterable<ChatChunk>;
  embed(workspaceId: string, provider: string, params: EmbedParams, call: { signal: AbortSignal }): Promise<EmbedResult>;
  rerank(workspaceId: string, provider: string, params: RerankParams, call: { signal: AbortSignal }): Promise<RerankResult>;
}

interface Entry {
  readonly runtime: PluginRuntime;
  lastUsed: number;
}

/**
 * Runs plugins: one isolate per (plugin version, workspace), created on first
 * use and disposed when idle or when the plugin changes (on any process, via
 * the event bus). Core services call it with extension-point terms (a tool id,
 * a provider id) and never see the runtime behind them.
 */
export class PluginHost {
  private readonly runtimes = new Map<string, Entry>();
  private readonly capabilityCache = new Map<string, HostCapabilities>();
  /** (workspace, plugin) → the enabled installation and package, so a hot tool call does not query the database. */
  private readonly activeCache = new Map<string, { value: Promise<{ installation: Installation; pkg: PluginPackage }>; at: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** The plugin-host process isolates run in (absent when they run inline); the `node` runtime keeps its worker threads. */
  readonly isolateProcess: PluginHostProcess | undefined;

  constructor(private readonly options: PluginHostOptions) {
    this.isolateProcess = options.isolateHost === 'inline' ? undefined : new PluginHostProcess({
      ...(options.hostProcessMemoryMb ? { maxOldSpaceMb: options.hostProcessMemoryMb } : {}),
      onExit: ({ pid, code, signal, failedCalls }) => options.logger.error({ pid, code, signal, failedCalls }, 'the plugin-host process died; its calls failed with plugin_crashed, and it was restarted'),
    });
    // A new package changes nothing that runs; enable, upgrade, rollback, disable and uninstall do.
    this.unsubscribe = options.events.on('plugins.changed', (event) => {
      if (event.action !== 'installed') this.drop(event.name, event.workspaceId);
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.idleMs ?? 600_000, 60_000));
    this.sweeper.unref();
  }

  /** Checks, in a throw-away isolate, that the bundle exports what its manifest declares. */
  async verify(pkg: PluginPackage, code: string): Promise<void> {
    if (pkg.runtime !== 'isolate') return;
    const runtime = this.isolate({ name: `${pkg.name}@${pkg.version}`, code, memoryLimitMb: this.options.memoryLimitMb, cpuLimitMs: this.options.cpuLimitMs, ...this.wallClock(), ...this.bridge() });
    try {
      const described = await runtime.describe().catch((error: PluginError) => {
        throw new InputError(`The plugin's bundle does not load: ${error.message}`, 'file', 'invalid_plugin_package');
      });
      const missing: string[] = [];
      for (const [group, manifestGroup] of Object.entries(MANIFEST_CONTRIBUTION_GROUPS) as Array<[ContributionGroup, keyof typeof pkg.manifest.contributes]>) {
        for (const entry of pkg.manifest.contributes[manifestGroup] ?? []) {
          if (!described.contributions[group]?.[entry.id]) missing.push(`${manifestGroup}: ${entry.id}`);
        }
      }
      if (missing.length) throw new InputError(`The manifest declares contributions the bundle does not export: ${missing.join(', ')}.`, 'file', 'invalid_plugin_package');
    } finally {
      await runtime.dispose();
    }
  }

  /** Calls any method of a contribution and returns its JSON result; `extra` adds grants for this call (a provider's base URL). */
  async call(installation: Installation, pkg: PluginPackage, target: CallTarget, args: JsonValue[], signal?: AbortSignal, extra?: Grants): Promise<JsonValue> {
    const runtime = await this.runtimeFor(installation, pkg);
    return runtime.call(target, args, { workspaceId: installation.workspaceId, capabilities: this.capabilities(installation, pkg, extra), ...(signal ? { signal } : {}) });
  }

  /** Calls a streaming method (a provider's `chat`); chunks arrive as the plugin yields them. */
  async *stream(installation: Installation, pkg: PluginPackage, target: CallTarget, args: JsonValue[], signal?: AbortSignal, extra?: Grants): AsyncIterable<JsonValue> {
    const runtime = await this.runtimeFor(installation, pkg);
    yield* runtime.stream(target, args, { workspaceId: installation.workspaceId, capabilities: this.capabilities(installation, pkg, extra), ...(signal ? { signal } : {}) });
  }

  /** Disposes every isolate. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.unsubscribe();
    const entries = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.all(entries.map((e) => e.runtime.dispose()));
    await this.isolateProcess?.close();
  }

  /** An isolate runtime, in the plugin-host process unless PLUGIN_HOST is inline. */
  private isolate(options: IsolateRuntimeOptions): PluginRuntime {
    return this.isolateProcess ? new ProcessIsolateRuntime({ ...options, host: this.isolateProcess }) : new IsolateRuntime(options);
  }

  get activeIsolates(): number {
    return this.runtimes.size;
  }

  private async runtimeFor(installation: Installation, pkg: PluginPackage): Promise<PluginRuntime> {
    // Checked at enable time too; checked again here because grants can change under a running process.
    if (pkg.runtime === 'node' && installation.grants.node_runtime !== true) throw new PluginError('plugin_permission_denied', `plugin ${pkg.name}: the node runtime was not granted in this workspace`);
    const key = `${pkg.name}@${pkg.version}\u0000${installation.workspaceId}\u0000${JSON.stringify(installation.grants.limits ?? {})}`;
    let entry = this.runtimes.get(key);
    if (!entry) {
      const code = await this.options.packages.readBundle(pkg);
      // Another call may have created it while the bundle was read.
      entry = this.runtimes.get(key);
      if (!entry) {
        const log = this.options.logger.child({ plugin: pkg.name, version: pkg.version, workspace: installation.workspaceId });
        const options = {
          name: `${pkg.name}@${pkg.version}`,
          code,
          memoryLimitMb: installation.grants.limits?.memory_mb ?? this.options.memoryLimitMb,
          cpuLimitMs: installation.grants.limits?.cpu_ms ?? this.options.cpuLimitMs,
          ...this.wallClock(),
          ...this.bridge(),
          // The plugin's fields go under their own key: they cannot overwrite the host's (plugin, workspace, level, msg).
          onLog: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: object | undefined) => log[level](fields === undefined ? {} : { fields }, message),
        };
        const runtime = pkg.runtime === 'node' ? new NodeRuntime({ ...options, cacheDir: this.options.cacheDir }) : this.isolate(options);
        entry = { runtime, lastUsed: Date.now() };
        this.runtimes.set(key, entry);
      }
    }
    entry.lastUsed = Date.now();
    return entry.runtime;
  }

  private wallClock(): { callTimeoutMs?: number; streamIdleTimeoutMs?: number; streamTimeoutMs?: number } {
    const { callTimeoutMs, streamIdleTimeoutMs, streamTimeoutMs } = this.options;
    return { ...(callTimeoutMs ? { callTimeoutMs } : {}), ...(streamIdleTimeoutMs ? { streamIdleTimeoutMs } : {}), ...(streamTimeoutMs ? { streamTimeoutMs } : {}) };
  }

  private bridge(): { bridgeLimits?: Partial<BridgeLimits> } {
    return this.options.bridgeLimits ? { bridgeLimits: this.options.bridgeLimits } : {};
  }

  /** Built once per (plugin version, workspace, grants): they hold no per-call state. */
  private capabilities(installation: Installation, pkg: PluginPackage, extra?: Grants): HostCapabilities {
    const grants = extra ? mergeGrants(installation.grants, extra) : installation.grants;
    const key = `${pkg.name}@${pkg.version}\u0000${installation.workspaceId}\u0000${JSON.stringify(grants)}`;
    let caps = this.capabilityCache.get(key);
    if (!caps) {
      if (this.capabilityCache.size > 1000) this.capabilityCache.clear();
      caps = createKernelCapabilities(
        { knex: this.options.knex, secrets: this.options.secrets, logger: this.options.logger, models: this.models(installation.workspaceId) },
        { workspaceId: installation.workspaceId, plugin: pkg.name, manifest: pkg.manifest, grants },
      );
      this.capabilityCache.set(key, caps);
    }
    return caps;
  }

  private models(workspaceId: string): HostCapabilities['models'] {
    const invoker = () => {
      if (!this.options.modelInvoker) throw new PluginError('plugin_not_supported', 'model invocation is not available in this process');
      return this.options.modelInvoker();
    };
    return {
      chat: (request, signal) => {
        const { provider, ...params } = request;
        return invoker().chat(workspaceId, provider, params, { signal });
      },
      embed: (request, signal) => {
        const { provider, ...params } = request;
        return invoker().embed(workspaceId, provider, params, { signal });
      },
      rerank: (request, signal) => {
        const { provider, ...params } = request;
        return invoker().rerank(workspaceId, provider, params, { signal });
      },
    };
  }

  /** The enabled installation of `plugin` in the workspace and its package (cached; changes arrive as events). */
  active(workspaceId: string, plugin: string): Promise<{ installation: Installation; pkg: PluginPackage }> {
    const key = `${workspaceId}\u0000${plugin}`;
    const hit = this.activeCache.get(key);
    // Changes arrive as events; the age limit covers an event lost between processes.
    if (hit && Date.now() - hit.at < ACTIVE_CACHE_MS) return hit.value;
    const value = this.options.service.active(workspaceId, plugin);
    value.catch(() => this.activeCache.delete(key));
    this.activeCache.set(key, { value, at: Date.now() });
    return value;
  }

  private drop(plugin: string, workspaceId: string | undefined): void {
    for (const key of [...this.capabilityCache.keys()]) if (key.startsWith(`${plugin}@`)) this.capabilityCache.delete(key);
    for (const key of [...this.activeCache.keys()]) {
      const [workspace, name] = key.split('\u0000');
      if (name === plugin && (workspaceId === undefined || workspace === workspaceId)) this.activeCache.delete(key);
    }
    for (const [key, entry] of this.runtimes) {
      const [name, workspace] = key.split('\u0000');
      if (name?.slice(0, name.lastIndexOf('@')) === plugin && (workspaceId === undefined || workspace === workspaceId)) {
        this.runtimes.delete(key);
        void entry.runtime.dispose();
      }
    }
  }

  private sweep(): void {
    const idle = this.options.idleMs ?? 600_000;
    for (const [key, entry] of this.runtimes) {
      if (Date.now() - entry.lastUsed > idle) {
        this.runtimes.delete(key);
        void entry.runtime.dispose();
      }
    }
  }
}


function mergeGrants(base: Grants, extra: Grants): Grants {
  return {
    ...base,
    network: { hosts: [...(base.network?.hosts ?? []), ...(extra.network?.hosts ?? [])] },
    allow_private: [...(base.allow_private ?? []), ...(extra.allow_private ?? [])],
  };
}

