import { expect } from 'chai';
import { PluginError } from '../../src/errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolateRuntime, type CallScope } from '../../src/runtime/isolate-runtime.js';
import { NodeRuntime } from '../../src/runtime/node-runtime.js';
import { createMemoryCapabilities } from '../../src/testing/memory-capabilities.js';

/**
 * Hostile plugins against the isolate's execution limits (issue #13): nothing
 * of a plugin runs after its call ends, CPU budgets cannot be shared away,
 * every call has a wall-clock limit, and the Node thread never waits on a
 * busy isolate.
 */
function bundle(tools: string, extra = ''): string {
  return `${extra}
export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${tools} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should have failed').to.be.instanceOf(PluginError);
  return error as PluginError;
}

/** Polls `check` every 20 ms until it holds or `ms` pass; returns whether it held. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The longest the Node thread went without running a 5 ms interval, until `stop()`. */
function watchStalls(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('IsolateRuntime execution limits (hostile plugins)', function () {
  this.timeout(20_000);
  let runtime: IsolateRuntime;
  let scope: CallScope;
  const tool = (id: string, args: unknown[] = [{}], s: CallScope = scope) => runtime.call({ group: 'tools', id, method: 'invoke' }, args as never, s);

  beforeEach(() => {
    scope = { workspaceId: 'ws-1', capabilities: createMemoryCapabilities() };
  });
  afterEach(() => runtime?.dispose());

  it('does not block the Node thread when a warm call follows a loop left running by the previous call, and serves that call soon', async () => {
    runtime = new IsolateRuntime({
      name: 'lingerer@1.0.0',
      code: bundle(`ok: { kind: 'tool', invoke: () => 'ok' },
        // The loop starts a few microtask turns later, after the dispatcher has sent the result.
        linger: { kind: 'tool', invoke: () => { let p = Promise.resolve(); for (let i = 0; i < 20; i++) p = p.then(() => {}); p.then(() => { const t = Date.now(); while (Date.now() - t < 1500); }); return 'returned'; } }`),
    });
    for (let i = 0; i < 20; i++) await tool('ok');
    expect(runtime.runtimeStats.fastCalls, 'warm calls take the fast path').to.be.greaterThan(10);
    expect(await tool('linger')).to.equal('returned');
    const begun = performance.now();
    const stalls = watchStalls();
    expect(await tool('ok')).to.equal('ok');
    expect(stalls.stop(), 'the Node thread waited on the busy isolate (longest stall, ms)').to.be.below(100);
    expect(performance.now() - begun, 'the next call waited behind the leftover loop').to.be.below(1000);
  });

  it('serves the calls that arrive while a fast call runs over and the isolate is replaced', async () => {
    runtime = new IsolateRuntime({
      name: 'swerve@1.0.0',
      code: bundle(`f: { kind: 'tool', invoke: (a) => { const until = Date.now() + (a.busy || 0); while (Date.now() < until); return a.n; } }`),
    });
    for (let n = 0; n < 20; n++) await tool('f', [{ n }]);
    expect(runtime.runtimeStats.fastCalls).to.be.greaterThan(10);
    // The first enters synchronously and runs over the fast path's 20 ms: the isolate is replaced under the others.
    const results = await Promise.all([tool('f', [{ n: 0, busy: 40 }]), ...Array.from({ length: 5 }, (_, i) => tool('f', [{ n: i + 1 }]))]);
    expect(results).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('has no WebAssembly, FinalizationRegistry, Atomics.wait or Atomics.waitAsync: code that would run outside any call', async () => {
    runtime = new IsolateRuntime({
      name: 'wasm@1.0.0',
      code: bundle(`probe: { kind: 'tool', invoke: () => ({ wasm: typeof WebAssembly, fr: typeof FinalizationRegistry, wait: typeof Atomics.wait, waitAsync: typeof Atomics.waitAsync, weakRef: typeof WeakRef, entries: typeof globalThis.__tessera_dispatch + ' ' + typeof globalThis.__tessera_deliver }) }`),
    });
    // The host's two ways in are not the plugin's to call either (a forged answer, a request of its own).
    expect(await tool('probe')).to.deep.equal({ wasm: 'undefined', fr: 'undefined', wait: 'undefined', waitAsync: 'undefined', weakRef: 'function', entries: 'undefined undefined' });
  });

  it('stops code after `await WebAssembly.instantiate(…)` from spinning unmetered: the call fails fast and the next call is served', async () => {
    runtime = new IsolateRuntime({
      name: 'wasm-spin@1.0.0',
      cpuLimitMs: 300,
      code: bundle(`spin: { kind: 'tool', invoke: async () => { await WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); for (;;) {} } },
        ok: { kind: 'tool', invoke: () => 'ok' }`),
    });
    const begun = Date.now();
    await failure(tool('spin'));
    expect(Date.now() - begun).to.be.below(2000);
    expect(await tool('ok')).to.equal('ok');
    expect(Date.now() - begun).to.be.below(3000);
  });

  it('cannot allocate WebAssembly memory past its memory limit', async () => {
    runtime = new IsolateRuntime({
      name: 'wasm-mem@1.0.0',
      memoryLimitMb: 32,
      code: bundle(`grab: { kind: 'tool', invoke: () => { const m = new WebAssembly.Memory({ initial: 4096 }); const u = new Uint8Array(m.buffer); for (let i = 0; i < u.length; i += 4096) u[i] = 1; globalThis.kept = m; return u.length; } }`),
    });
    const rss = process.memoryUsage().rss;
    await failure(tool('grab'));
    expect(process.memoryUsage().rss - rss).to.be.below(128 * 1024 * 1024);
  });

  it('cannot allocate past its memory limit through a resizable ArrayBuffer or a growable SharedArrayBuffer', async () => {
    runtime = new IsolateRuntime({
      name: 'grower@1.0.0',
      memoryLimitMb: 32,
      code: bundle(`grow: { kind: 'tool', invoke: (a) => {
        const GiB = 1024 * 1024 * 1024;
        const make = {
          resizable: () => { const b = new ArrayBuffer(1, { maxByteLength: GiB }); b.resize(GiB / 4); return b; },
          viaConstructor: () => { const AB = new Uint8Array(1).buffer.constructor; const b = new AB(1, { maxByteLength: GiB }); b.resize(GiB / 4); return b; },
          shared: () => { const b = new SharedArrayBuffer(1, { maxByteLength: GiB }); b.grow(GiB / 4); return b; },
        }[a.how];
        let b;
        try { b = make(); } catch (e) { return 'refused: ' + e.name; }
        const u = new Uint8Array(b); for (let i = 0; i < u.length; i += 4096) u[i] = 1; globalThis.kept = b; return 'allocated ' + u.length;
      } },
        plain: { kind: 'tool', invoke: () => { const b = new ArrayBuffer(16); return [b instanceof ArrayBuffer, b.constructor === ArrayBuffer, new Uint8Array(b.slice(0, 4)).length, ArrayBuffer.isView(new Uint8Array(2))]; } }`),
    });
    const rss = process.memoryUsage().rss;
    for (const how of ['resizable', 'viaConstructor', 'shared']) expect(await tool('grow', [{ how }]), how).to.match(/^refused: /);
    expect(process.memoryUsage().rss - rss).to.be.below(128 * 1024 * 1024);
    expect(await tool('plain'), 'ordinary ArrayBuffers work as before').to.deep.equal([true, true, 4, true]);
  });

  it('cannot stretch its CPU limit by keeping other calls open: 15 idle calls do not share the busy one’s CPU', async () => {
    runtime = new IsolateRuntime({
      name: 'sharer@1.0.0',
      cpuLimitMs: 300,
      code: bundle(`idle: { kind: 'tool', invoke: () => new Promise(() => {}) },
        burn: { kind: 'tool', invoke: async () => { for (;;) { const t = Date.now(); while (Date.now() - t < 20); await new Promise((r) => setTimeout(r, 0)); } } }`),
    });
    await runtime.activate();
    const idle = Array.from({ length: 15 }, () => tool('idle').catch((e: unknown) => e));
    const begun = Date.now();
    const error = await failure(tool('burn'));
    expect(error.code).to.equal('plugin_timeout');
    // 300 ms of CPU, measured by a 25 ms watchdog: well under the 4.8 s that sixteen shares would allow.
    expect(Date.now() - begun).to.be.below(1500);
    await Promise.all(idle);
  });

  it('runs nothing of a call after it returned: a setTimeout loop it left stops, and its host timers are cleared', async () => {
    runtime = new IsolateRuntime({
      name: 'ticker@1.0.0',
      code: bundle(`start: { kind: 'tool', invoke: () => { globalThis.n = 0; const tick = () => { globalThis.n++; const t = Date.now(); while (Date.now() - t < 2); setTimeout(tick, 0); }; setTimeout(tick, 0); return 'started'; } },
        count: { kind: 'tool', invoke: () => globalThis.n },
        flood: { kind: 'tool', invoke: () => { for (let i = 0; i < 1000; i++) setTimeout(() => {}, 600000); return 'flooded'; } }`),
    });
    await runtime.activate();
    const baseline = timeouts();
    expect(await tool('start')).to.equal('started');
    const first = (await tool('count')) as number;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await tool('count'), 'the loop went on after its call returned').to.equal(first);
    expect(await tool('flood')).to.equal('flooded');
    expect(await eventually(() => timeouts() <= baseline + 5, 2000), `host timers left: ${timeouts() - baseline}`).to.equal(true);
  });

  it('cancels the host timer of a cleared setTimeout: a call may set and clear any number of them', async () => {
    runtime = new IsolateRuntime({
      name: 'debounce@1.0.0',
      code: bundle(`many: { kind: 'tool', invoke: async (a) => { for (let i = 0; i < a.n; i++) clearTimeout(setTimeout(() => {}, 600000)); await new Promise((r) => setTimeout(r, 1)); return 'done'; } },
        flood: { kind: 'tool', invoke: () => { try { for (let i = 0; i < 2000; i++) setTimeout(() => {}, 600000); return 'unbounded'; } catch (e) { return e.name + ': ' + e.message; } } }`),
    });
    await runtime.activate();
    const baseline = timeouts();
    const call = tool('many', [{ n: 5000 }]);
    expect(await call).to.equal('done');
    expect(await tool('flood')).to.match(/^RangeError: .*1024 timers/);
    expect(await eventually(() => timeouts() <= baseline + 5, 2000), `host timers left: ${timeouts() - baseline}`).to.equal(true);
  });

  it('gives back the operation slots of calls that ended with operations in flight', async () => {
    scope = {
      workspaceId: 'ws-1',
      capabilities: createMemoryCapabilities({ fetch: (request) => new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(new Error('aborted')))) }),
    };
    runtime = new IsolateRuntime({
      name: 'waiter@1.0.0',
      callTimeoutMs: 200,
      bridgeLimits: { maxConcurrentOperations: 4 },
      code: bundle(`wait: { kind: 'tool', invoke: async (a, ctx) => { await Promise.all([1, 2, 3].map(() => ctx.fetch('http://x.test/'))); return 'fetched'; } },
        kv: { kind: 'tool', invoke: async (a, ctx) => { await Promise.all(Array.from({ length: 8 }, (_, i) => ctx.kv.get('k' + i))); return 'read'; } }`),
    } as never);
    // Four calls time out with three fetches each: twelve operations, over the four slots, never answered.
    const timedOut = await Promise.all(Array.from({ length: 4 }, () => failure(tool('wait'))));
    expect(timedOut.map((e) => e.code)).to.deep.equal(['plugin_timeout', 'plugin_timeout', 'plugin_timeout', 'plugin_timeout']);
    expect(await tool('kv')).to.equal('read');
  });

  it('fails a call that never settles with plugin_timeout at its wall-clock limit, then serves the next call', async () => {
    runtime = new IsolateRuntime({
      name: 'hang@1.0.0',
      callTimeoutMs: 300,
      code: bundle(`hang: { kind: 'tool', invoke: () => new Promise(() => {}) }, ok: { kind: 'tool', invoke: () => 'ok' }`),
    } as never);
    const begun = Date.now();
    const error = await failure(tool('hang'));
    expect(error.code).to.equal('plugin_timeout');
    expect(error.message).to.contain('wall-clock');
    expect(Date.now() - begun).to.be.within(250, 1500);
    expect(await tool('ok')).to.equal('ok');
  });

  it('bounds a stream by the idle time between items and by an overall cap, not by the call limit', async () => {
    runtime = new IsolateRuntime({
      name: 'streamer@1.0.0',
      callTimeoutMs: 200,
      streamIdleTimeoutMs: 300,
      streamTimeoutMs: 1200,
      code: bundle(`steady: { kind: 'tool', invoke: async function* (a) { for (let i = 0; i < a.n; i++) { await new Promise((r) => setTimeout(r, 50)); yield i; } } },
        stall: { kind: 'tool', invoke: async function* () { yield 0; await new Promise(() => {}); } }`),
    } as never);
    const read = async (id: string, args: unknown) => {
      const items: unknown[] = [];
      for await (const item of runtime.stream({ group: 'tools', id, method: 'invoke' }, [args as never], scope)) items.push(item);
      return items;
    };
    // 600 ms in all, longer than a call may take, with items every 50 ms.
    expect(await read('steady', { n: 12 })).to.have.length(12);
    let begun = Date.now();
    const stalled = await failure(read('stall', {}));
    expect(stalled.code).to.equal('plugin_timeout');
    expect(Date.now() - begun).to.be.within(250, 1100);
    begun = Date.now();
    const endless = await failure(read('steady', { n: 1e9 }));
    expect(endless.code).to.equal('plugin_timeout');
    expect(Date.now() - begun).to.be.within(1100, 2500);
  });

  it('fails a plugin whose activate never settles, within the call limit', async () => {
    runtime = new IsolateRuntime({
      name: 'stuck@1.0.0',
      callTimeoutMs: 300,
      code: `export default { kind: 'plugin', apiVersion: '1.0.0', activate: () => new Promise(() => {}), tools: {}, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`,
    } as never);
    const begun = Date.now();
    const error = await failure(runtime.activate());
    expect(error.code).to.equal('plugin_timeout');
    expect(Date.now() - begun).to.be.below(1500);
  });
});

describe('NodeRuntime wall-clock limit', function () {
  this.timeout(20_000);
  it('fails a call that never settles with plugin_timeout, as an isolate does', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'tessera-limits-'));
    const runtime = new NodeRuntime({ name: 'node-hang@1.0.0', cacheDir, callTimeoutMs: 300, code: bundle(`hang: { kind: 'tool', invoke: () => new Promise(() => {}) }, ok: { kind: 'tool', invoke: () => 'ok' }`) });
    const scope: CallScope = { workspaceId: 'ws-1', capabilities: createMemoryCapabilities() };
    try {
      const begun = Date.now();
      const error = await failure(runtime.call({ group: 'tools', id: 'hang', method: 'invoke' }, [{}], scope));
      expect(error.code).to.equal('plugin_timeout');
      expect(Date.now() - begun).to.be.within(250, 1500);
      expect(await runtime.call({ group: 'tools', id: 'ok', method: 'invoke' }, [{}], scope)).to.equal('ok');
    } finally {
      await runtime.dispose();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
