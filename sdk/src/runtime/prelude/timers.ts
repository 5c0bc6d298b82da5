/**
 * `setTimeout` / `clearTimeout`. A timer belongs to the call whose task set
 * it: it fires only while that call is open (the host cancels it when the call
 * ends), and at most MAX_TIMERS of one call wait at once (the host counts them
 * too). clearTimeout cancels the host's timer as well.
 */
import { currentCall, timersOf } from './calls.js';
import { hostOpSend } from './host.js';
import { FORGOTTEN, nextOpId, op, ownerEnded, waiting } from './ops.js';

/** What `setTimeout` returns: a handle `clearTimeout` takes. */
interface Timer { cancel(): void }

const MAX_TIMERS = 1024;

/** Calls `fn(...args)` after `ms` (at most 600 000) milliseconds, if the call that set it is still open. */
export function setTimeout(fn: unknown, ms: unknown = 0, ...args: unknown[]): Timer {
  if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
  const owner = currentCall; const count = timersOf.get(owner) || 0;
  if (count >= MAX_TIMERS) throw new RangeError('setTimeout: ' + MAX_TIMERS + ' timers of this call are already waiting');
  let cancelled = false;
  const delay = Math.max(0, Math.min(Number(ms) || 0, 600000));
  const settle = () => { const n = (timersOf.get(owner) || 1) - 1; if (n > 0) timersOf.set(owner, n); else timersOf.delete(owner); };
  if (!hostOpSend) {
    timersOf.set(owner, count + 1);
    op(owner, 'sleep', { ms: delay }).then(() => { settle(); if (!cancelled) fn(...args); }, settle);
    return { cancel() { cancelled = true; } };
  }
  if (ownerEnded(owner)) return { cancel() {} };
  timersOf.set(owner, count + 1);
  const id = nextOpId();
  waiting.set(id, { resolve: (answer) => { settle(); if (answer !== FORGOTTEN && !cancelled) fn(...args); }, callId: owner });
  hostOpSend(id, owner, owner, 'sleep', '{"ms":' + delay + '}');
  return { cancel() { if (cancelled) return; cancelled = true; if (waiting.delete(id)) { settle(); hostOpSend!(id, owner, owner, 'sleep.cancel', 'null'); } } };
}

/** Cancels a timer `setTimeout` returned (anything else is ignored). */
export function clearTimeout(t: unknown): void { if (t && (t as Partial<Timer>).cancel) (t as Timer).cancel(); }
