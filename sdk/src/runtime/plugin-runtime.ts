/**
 * The contract every plugin runtime (isolate, node worker, plugin-host
 * process) offers its callers, and the options and scope they pass. A leaf
 * module: the runtimes and the host operations they share (host-ops.ts) all
 * use these types, so it imports none of them.
 */
import type { JsonValue } from '../json.js';
import type { ContributionGroup } from '../plugin.js';
import type { BridgeLimits } from './bridge-limits.js';
import type { HostCapabilities } from './capabilities.js';

/** Options every runtime takes (the isolate runtime adds the bundle's code, the node runtime its path). */
export interface RuntimeOptions {
  /** `name@version`, used in every error and log line. */
  readonly name: string;
  /** Memory cap (default 128 MB). Exceeding it kills the plugin's isolate or worker and fails the calls in it. */
  readonly memoryLimitMb?: number;
  /** CPU time one call may use (default 5000 ms, as in the kernel); past it the plugin is stopped and the call fails. */
  readonly cpuLimitMs?: number;
  /** Logs not tied to a call (`console.log` at load time, background work). */
  readonly onLog?: HostCapabilities['log'];
  /** Wall-clock time one call may take, from its start to its answer (default 60 000 ms); loading the plugin too. */
  readonly callTimeoutMs?: number;
  /** Wall-clock time a stream may wait for the plugin's next items (default 300 000 ms: a model may think for minutes). */
  readonly streamIdleTimeoutMs?: number;
  /** Wall-clock time a whole stream may take (default 1 800 000 ms). */
  readonly streamTimeoutMs?: number;
  /** Size and rate caps on what the plugin sends to the host (defaults: `DEFAULT_BRIDGE_LIMITS`, bridge-limits.ts). */
  readonly bridgeLimits?: Partial<BridgeLimits>;
}

/** The method of one contribution a call goes to: `plugin[group][id][method]`. */
export interface CallTarget {
  readonly group: ContributionGroup;
  readonly id: string;
  readonly method: string;
}

/** Who is calling, and what that caller granted the plugin. */
export interface CallScope {
  readonly workspaceId: string;
  readonly capabilities: HostCapabilities;
  readonly signal?: AbortSignal;
}

/** Counters a runtime keeps for the kernel's health and metrics. */
export interface RuntimeStats {
  /** Isolates or workers created so far (1 + the number of recreations after faults). */
  readonly generation: number;
  readonly faults: number;
  readonly fastCalls: number;
  readonly slowCalls: number;
}

/** What `describe()` reports: the SDK API version the plugin was built for and, per contribution, the methods it implements. */
export interface PluginDescription {
  readonly apiVersion: string;
  readonly contributions: Record<ContributionGroup, Record<string, string[]>>;
}

/** What core services call, whichever runtime runs the plugin. */
export interface PluginRuntime {
  readonly runtimeStats: RuntimeStats;
  activate(): Promise<void>;
  describe(): Promise<PluginDescription>;
  call(target: CallTarget, args: readonly JsonValue[], scope: CallScope): Promise<JsonValue>;
  stream(target: CallTarget, args: readonly JsonValue[], scope: CallScope): AsyncGenerator<JsonValue, void, undefined>;
  dispose(): Promise<void>;
}
