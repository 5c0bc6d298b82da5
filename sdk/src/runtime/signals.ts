/**
 * A signal that aborts when any of `signals` does, with that one's reason.
 *
 * `AbortSignal.any` does the same but tracks its sources through weak
 * references, which costs more than the rest of a call's bookkeeping on Node
 * 20 (bench/gateway profile). Here the sources hold plain listeners instead,
 * which is right for the per-request signals the host links: they are
 * collected together with the request, or fire once and remove them.
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): AbortSignal {
  const sources = signals.filter((s): s is AbortSignal => s !== undefined);
  if (sources.length === 1) return sources[0]!;
  const controller = new AbortController();
  const fired = sources.find((s) => s.aborted);
  if (fired) {
    controller.abort(fired.reason);
    return controller.signal;
  }
  const onAbort = function (this: AbortSignal): void {
    for (const s of sources) s.removeEventListener('abort', onAbort);
    controller.abort(this.reason);
  };
  for (const s of sources) s.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
}
