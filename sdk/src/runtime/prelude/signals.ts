/** The abort signal each call gets (`ctx.signal`), and `AbortController` for the plugin's own. */
import { pluginError } from './host.js';

/** An `AbortSignal` that the prelude fires when the host ends the call (see dispatch.ts). */
export class AbortSignalImpl {
  declare aborted: boolean;
  declare reason: unknown;
  declare listeners: Set<() => void>;
  constructor() { this.aborted = false; this.reason = undefined; this.listeners = new Set(); }
  addEventListener(type: string, fn: () => void) { if (type === 'abort') this.listeners.add(fn); }
  removeEventListener(type: string, fn: () => void) { this.listeners.delete(fn); }
  throwIfAborted() { if (this.aborted) throw this.reason; }
  _abort(reason: unknown) { if (this.aborted) return; this.aborted = true; this.reason = reason; for (const fn of this.listeners) { try { fn(); } catch {} } }
}

/** `AbortController`: `abort()` without a reason aborts with a `plugin_cancelled` error. */
export class AbortController {
  declare signal: AbortSignalImpl;
  constructor() { this.signal = new AbortSignalImpl(); }
  abort(reason?: unknown) { this.signal._abort(reason === undefined ? pluginError('plugin_cancelled', 'aborted') : reason); }
}
