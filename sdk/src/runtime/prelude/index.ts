/**
 * The prelude: runs inside every plugin isolate before the plugin's bundle
 * (and in the node runtime's worker, bound to a per-plugin scope). It takes
 * the host's globals (host.ts, env.d.ts), installs the dispatcher through
 * which the host calls the plugin and the plugin reaches its capabilities,
 * and the few web globals plugins need: TextEncoder/TextDecoder, atob/btoa,
 * console, setTimeout/clearTimeout, Headers and AbortController.
 *
 * Bundled by scripts/build-prelude.ts into ../prelude-source.ts (PRELUDE),
 * which the runtimes evaluate.
 */
// First, so its code runs first: it takes the host's globals before any other part of the prelude.
import './host.js';
import { deliver, dispatch, install } from './dispatch.js';
import { Headers } from './fetch.js';
import { logLine } from './ops.js';
import { AbortController } from './signals.js';
import { atob, btoa, TextDecoder, TextEncoder } from './text.js';
import { clearTimeout, setTimeout } from './timers.js';

globalThis.__tessera_dispatch = dispatch;
globalThis.__tessera_install = install;
globalThis.__tessera_deliver = deliver;

const console: Record<string, (...parts: unknown[]) => void> = {};
for (const [name, level] of [['debug', 'debug'], ['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error']] as const) {
  console[name] = (...parts) => logLine('', level, parts.map((p) => (typeof p === 'string' ? p : (() => { try { return JSON.stringify(p); } catch { return String(p); } })())).join(' '), undefined);
}
// In an isolate none of these exist; in the node runtime's worker the platform's own are kept.
for (const [name, value] of Object.entries({ TextEncoder, TextDecoder, atob, btoa, setTimeout, clearTimeout, console, Headers, AbortController })) {
  if (!(name in globalThis)) (globalThis as unknown as Record<string, unknown>)[name] = value;
}
