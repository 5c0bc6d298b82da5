/**
 * The globals the host sets in a plugin isolate (isolate-runtime.ts) or in the
 * node runtime's per-plugin scope (node-worker.ts) before the prelude runs. The
 * prelude takes each one once and deletes it, so plugin code never sees them;
 * hence every one is optional here.
 */

/** Options of an isolated-vm `Reference.apply`: copy the arguments in, await and copy the result out. */
interface HostApplyOptions {
  readonly arguments: { readonly copy: true };
  readonly result: { readonly promise: true; readonly copy: true };
}

/** The shape of an isolated-vm `Reference` to an async host function (or the node worker's stand-in). */
interface HostOpReference {
  apply(thisArg: undefined, args: readonly [callId: string, op: string, json: string, bytes?: Uint8Array], options: HostApplyOptions): Promise<string | Uint8Array>;
}

/** A call finished: its answer as JSON (always set). */
declare var __host_done: ((seq: number, json: string) => void) | undefined;
/** A capability call, answered as a JSON string (`{"__error":…}` on failure) or bytes: the node runtime's worker. */
declare var __host_op_ref: HostOpReference | undefined;
/**
 * A capability call whose answer comes later, as a task of its own:
 * `__tessera_deliver(opId, answer)`, sent only while `owner` (the call whose task
 * asked) is open; `callId` is the context used. Isolates set this instead of `__host_op_ref`.
 */
declare var __host_op: ((opId: number, owner: string, callId: string, op: string, json: string, bytes?: Uint8Array) => void) | undefined;
/** One log line (always set). */
declare var __host_log: ((callId: string, level: string, message: string, fieldsJson: string) => void) | undefined;
/** A copy of the runtime's BridgeLimits, when the host passes them (their sizes are checked here before anything is copied out, and again on the host). */
declare var __host_limits: unknown;

/** Set by the prelude: the host calls it for every request (`seq` numbers the answer). */
declare var __tessera_dispatch: ((seq: number, requestJson: string) => void) | undefined;
/** Set by the prelude: the boot module hands it the plugin's default export, then deletes it. */
declare var __tessera_install: ((plugin: unknown) => void) | undefined;
/** Set by the prelude: the answer to host operation `opId` (isolates). */
declare var __tessera_deliver: ((opId: number, answer: unknown) => void) | undefined;
