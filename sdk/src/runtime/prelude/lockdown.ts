/**
 * Runs in every isolate before the prelude: removes what would run plugin code
 * outside the tasks the host sends (and so outside any call and its CPU meter),
 * or memory the isolate's limit does not count. The node runtime's worker keeps them.
 *   WebAssembly          a compiled module's continuation runs as a V8 platform task; WebAssembly.Memory
 *                        is not counted by the heap limit (1 GiB under a 128 MB cap) nor reported by
 *                        getHeapStatistics; no first-party plugin uses it
 *   FinalizationRegistry its callbacks run as platform tasks after a GC, between calls
 *   Atomics.waitAsync    its time-out fires as a platform task (and aborts the process under isolated-vm 5)
 *   Atomics.wait         blocks the isolate's thread without using CPU; a single-threaded isolate has
 *                        nothing to wait for
 *   SharedArrayBuffer    nothing to share with; a growable one's memory is not counted by the limit
 *   resizable ArrayBuffer `new ArrayBuffer(n, { maxByteLength })` and `resize`: not counted by the limit
 *                        either (1 GiB under a 128 MB cap); the constructor refuses maxByteLength, and
 *                        ArrayBuffer.prototype.constructor is the same guard, so it cannot be reached around
 *
 * Bundled by scripts/build-prelude.ts into ../prelude-source.ts (ISOLATE_LOCKDOWN).
 */

/** The globals removed here, typed as removable (lib.es2022 declares them as always there). */
type Removable = { WebAssembly?: unknown; FinalizationRegistry?: unknown; SharedArrayBuffer?: unknown };
type RemovableAtomics = { wait?: unknown; waitAsync?: unknown };

delete (globalThis as Removable).WebAssembly;
delete (globalThis as Removable).FinalizationRegistry;
delete (globalThis as Removable).SharedArrayBuffer;
delete (Atomics as RemovableAtomics).wait;
delete (Atomics as RemovableAtomics).waitAsync;
(() => {
  const NativeArrayBuffer = ArrayBuffer;
  const construct = Reflect.construct;
  const guarded: ArrayBufferConstructor = new Proxy(NativeArrayBuffer, {
    construct(target, args, newTarget) {
      const options = args[1];
      if (options !== null && (typeof options === 'object' || typeof options === 'function') && options.maxByteLength !== undefined) throw new RangeError('resizable ArrayBuffers are not available in a plugin isolate');
      return construct(target, [args[0]], newTarget === guarded ? target : newTarget);
    },
  });
  Object.defineProperty(globalThis, 'ArrayBuffer', { value: guarded, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(NativeArrayBuffer.prototype, 'constructor', { value: guarded, writable: true, configurable: true, enumerable: false });
  delete (NativeArrayBuffer.prototype as { resize?: unknown }).resize;
})();
