import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { ChatChunk } from '../../src/chat.js';
import { PluginError } from '../../src/errors.js';
import { createGuardedFetch } from '../../src/runtime/guarded-fetch.js';
import { IsolateRuntime } from '../../src/runtime/isolate-runtime.js';
import { PluginHostProcess, ProcessIsolateRuntime } from '../../src/runtime/process-runtime.js';
import type { CallScope, PluginRuntime } from '../../src/runtime/plugin-runtime.js';
import { createMemoryCapabilities, type MemoryCapabilities } from '../../src/testing/memory-capabilities.js';

function bundle(tools: string): string {
  return `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${tools} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should have failed').to.be.instanceOf(PluginError);
  return error as PluginError;
}

/** What a call came to, comparable across runtimes. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => ({ value }), (e: PluginError) => ({ code: e.code, message: e.message }));
}

async function collect(stream: AsyncIterable<unknown>): Promise<unknown> {
  const items: unknown[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items };
  } catch (e) {
    return { items, code: (e as PluginError).code, message: (e as PluginError).message };
  }
}

/** A promise and the function that resolves it, for waiting on something the plugin or the host does. */
function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tool = (runtime: PluginRuntime, id: string, args: unknown[], scope: CallScope) => runtime.call({ group: 'tools', id, method: 'invoke' }, args as never, scope);
const stream = (runtime: PluginRuntime, id: string, args: unknown[], scope: CallScope) => runtime.stream({ group: 'tools', id, method: 'invoke' }, args as never, scope);

const PARITY = bundle(`
  add: { kind: 'tool', invoke: async (a) => ({ sum: a.x + a.y, nested: { list: [1, 'two', null, true] } }) },
  bytes: { kind: 'tool', invoke: (a) => ({ isBytes: a.file instanceof Uint8Array, text: new TextDecoder().decode(a.file), back: new TextEncoder().encode('é!') }) },
  coded: { kind: 'tool', invoke: () => { const e = new Error('x must be positive'); e.name = 'PluginError'; e.code = 'plugin_invalid_arguments'; throw e; } },
  thrown: { kind: 'tool', invoke: () => { throw new TypeError('bad thing'); } },
  junk: { kind: 'tool', invoke: () => 10n },
  ctx: { kind: 'tool', invoke: async (a, ctx) => { await ctx.kv.set('seen', { n: a.n }); ctx.log.info('stored', { n: a.n }); return { ws: ctx.workspaceId, kv: await ctx.kv.get('seen'), key: await ctx.secrets.get('api_key'), quota: (await ctx.kv.quota()).usedBytes > 0 }; } },
  count: { kind: 'tool', invoke: async function* (a, ctx) { for (let i = 0; i < a.n; i++) { if (i % 3 === 0) await ctx.kv.get('tick'); yield { i }; } } },
  breaks: { kind: 'tool', invoke: async function* () { yield 1; yield 2; throw new RangeError('out of range'); } },
  large: { kind: 'tool', invoke: async function* () { for (let i = 0; i < 12; i++) yield { i, text: 'x'.repeat(100000) }; } },
  notStream: { kind: 'tool', invoke: () => 'plain' },
`);

describe('ProcessIsolateRuntime: isolates in the plugin-host process', function () {
  this.timeout(60_000);
  let host: PluginHostProcess;
  const runtimes: PluginRuntime[] = [];
  const track = <T extends PluginRuntime>(runtime: T): T => {
    runtimes.push(runtime);
    return runtime;
  };
  let caps: MemoryCapabilities;
  let scope: CallScope;

  before(() => {
    host = new PluginHostProcess();
    return host.start();
  });
  after(() => host.close());
  beforeEach(() => {
    caps = createMemoryCapabilities({ secrets: { api_key: 'sk-test' } });
    scope = { workspaceId: 'ws-1', capabilities: caps };
  });
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.dispose()));
  });

  it('gives the same results as the inline isolate: values, bytes, errors, context and streams', async () => {
    const inline = track(new IsolateRuntime({ name: 'parity@1.0.0', code: PARITY }));
    const remote = track(new ProcessIsolateRuntime({ name: 'parity@1.0.0', code: PARITY, host }));
    const results = [];
    for (const runtime of [inline, remote]) {
      const c = createMemoryCapabilities({ secrets: { api_key: 'sk-test' } });
      const s: CallScope = { workspaceId: 'ws-1', capabilities: c };
      const bytes = (await tool(runtime, 'bytes', [{ file: new TextEncoder().encode('héllo') }], s)) as unknown as { back: Uint8Array };
      expect(bytes.back).to.be.instanceOf(Uint8Array);
      results.push({
        described: await runtime.describe(),
        add: await outcome(tool(runtime, 'add', [{ x: 2, y: 40 }], s)),
        bytes: { ...bytes, back: Buffer.from(bytes.back).toString('utf8') },
        coded: await outcome(tool(runtime, 'coded', [{}], s)),
        thrown: await outcome(tool(runtime, 'thrown', [{}], s)),
        junk: await outcome(tool(runtime, 'junk', [{}], s)),
        ctx: await outcome(tool(runtime, 'ctx', [{ n: 7 }], s)),
        store: c.store.get('seen'),
        logs: c.logs,
        count: await collect(stream(runtime, 'count', [{ n: 700 }], s)),
        breaks: await collect(stream(runtime, 'breaks', [{}], s)),
        large: await collect(stream(runtime, 'large', [{}], s)),
        notStream: await collect(stream(runtime, 'notStream', [{}], s)),
        streamAsCall: await outcome(tool(runtime, 'count', [{ n: 2 }], s)),
      });
    }
    expect(results[1]).to.deep.equal(results[0]);
    expect((results[1]!.count as { items: unknown[] }).items).to.have.length(700);
    expect(results[1]!.ctx).to.deep.equal({ value: { ws: 'ws-1', kv: { n: 7 }, key: 'sk-test', quota: true } });
    expect(results[1]!.coded).to.deep.equal({ code: 'plugin_invalid_arguments', message: 'plugin parity@1.0.0: x must be positive' });
    // Everything ran in the child: the API process holds no isolate for the remote runtime.
    expect(remote.runtimeStats.generation).to.equal(1);
  });

  it('fetches from a local server through the guarded fetch in the API process: short, late and long bodies', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Path': req.url ?? '' });
      if (req.url === '/short') return res.end('abc');
      if (req.url === '/late') {
        res.flushHeaders();
        setImmediate(() => res.write('first-', () => setImmediate(() => res.end('second'))));
        return;
      }
      res.end(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const fetch = createGuardedFetch({ grant: { hosts: [`127.0.0.1:${port}`], allowPrivate: ['127.0.0.1'] } });
      const s: CallScope = { workspaceId: 'ws-1', capabilities: { ...createMemoryCapabilities(), fetch } };
      const code = bundle(`get: { kind: 'tool', invoke: async (a, ctx) => { const r = await ctx.fetch(a.url); return { status: r.status, path: r.headers.get('x-path'), text: await r.text() }; } }`);
      const runtime = track(new ProcessIsolateRuntime({ name: 'fetcher@1.0.0', code, host }));
      const base = `http://127.0.0.1:${port}`;
      expect(await tool(runtime, 'get', [{ url: `${base}/short` }], s)).to.deep.equal({ status: 200, path: '/short', text: 'abc' });
      expect(await tool(runtime, 'get', [{ url: `${base}/late` }], s)).to.deep.equal({ status: 200, path: '/late', text: 'first-second' });
      const long = (await tool(runtime, 'get', [{ url: `${base}/long` }], s)) as { text: string };
      expect(long.text).to.equal(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
      // The guard is the API process's: a host that was not granted is refused there.
      const refused = (await tool(runtime, 'get', [{ url: 'http://127.0.0.2:9/' }], s).catch((e: PluginError) => e)) as PluginError;
      expect(refused.code).to.equal('plugin_permission_denied');
    } finally {
      server.close();
    }
  });

  it("streams a model's chat answer through ctx.models and lets the plugin abort its own fetch", async () => {
    let aborted = false;
    const c = createMemoryCapabilities({
      models: {
        async *chat(request): AsyncGenerator<ChatChunk> {
          for (const word of ['Hello', ' from ', (request as { provider: string }).provider]) yield { delta: { content: word } } as ChatChunk;
        },
      },
      fetch: (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new PluginError('plugin_cancelled', 'aborted by the plugin'));
          });
        }),
    });
    const s: CallScope = { workspaceId: 'ws-1', capabilities: c };
    const code = bundle(`
      relay: { kind: 'tool', invoke: async function* (a, ctx) { for await (const chunk of ctx.models.chat({ provider: 'echo', model: 'm', messages: [] })) yield chunk; } },
      abort: { kind: 'tool', invoke: async (a, ctx) => { const c = new AbortController(); const p = ctx.fetch('http://x.test/', { signal: c.signal }).then(() => 'fetched', (e) => 'aborted: ' + e.code); await ctx.kv.get('x'); c.abort(); return await p; } },
    `);
    const runtime = track(new ProcessIsolateRuntime({ name: 'models@1.0.0', code, host }));
    expect(await collect(stream(runtime, 'relay', [{}], s))).to.deep.equal({ items: [{ delta: { content: 'Hello' } }, { delta: { content: ' from ' } }, { delta: { content: 'echo' } }] });
    expect(await tool(runtime, 'abort', [{}], s)).to.equal('aborted: plugin_cancelled');
    expect(aborted).to.equal(true);
  });

  it('keeps the isolate limits: CPU time, memory, result size — and serves the next call', async () => {
    const code = bundle(`
      spin: { kind: 'tool', invoke: () => { for (;;) {} } },
      hog: { kind: 'tool', invoke: async () => { const a = []; for (;;) a.push(new Array(100000).fill(Math.random())); } },
      big: { kind: 'tool', invoke: () => 'x'.repeat(100000) },
      ok: { kind: 'tool', invoke: () => 'ok' },
    `);
    const runtime = track(new ProcessIsolateRuntime({ name: 'limits@1.0.0', code, host, cpuLimitMs: 200, memoryLimitMb: 16, bridgeLimits: { maxResultBytes: 50_000 } }));
    expect((await failure(tool(runtime, 'spin', [{}], scope))).code).to.equal('plugin_timeout');
    expect(await tool(runtime, 'ok', [{}], scope)).to.equal('ok');
    const oom = await failure(tool(runtime, 'hog', [{}], scope));
    expect(oom.code).to.equal('plugin_out_of_memory');
    expect(oom.message).to.contain('16 MB');
    expect((await failure(tool(runtime, 'big', [{}], scope))).code).to.equal('plugin_payload_too_large');
    expect(await tool(runtime, 'ok', [{}], scope)).to.equal('ok');
    expect(runtime.runtimeStats.faults).to.be.at.least(2);
  });

  it('cancels a call: plugin_cancelled at once, and the plugin sees its signal abort', async () => {
    const waiting = signalled();
    const late = signalled<string>();
    const c = createMemoryCapabilities();
    const s: CallScope = { workspaceId: 'ws-1', capabilities: { ...c, log: (level, message) => (message === 'waiting' ? waiting.resolve() : undefined) } };
    const code = bundle(`wait: { kind: 'tool', invoke: (a, ctx) => new Promise((resolve) => { ctx.signal.addEventListener('abort', () => { ctx.log.warn('aborted'); resolve('stopped'); }); ctx.log.info('waiting'); }) }`);
    const runtime = track(new ProcessIsolateRuntime({ name: 'slow@1.0.0', code, host, onLog: (level, message) => late.resolve(message) }));
    const controller = new AbortController();
    const call = tool(runtime, 'wait', [{}], { ...s, signal: controller.signal });
    await waiting.promise;
    controller.abort();
    expect((await failure(call)).code).to.equal('plugin_cancelled');
    expect(await late.promise).to.equal('aborted');
  });

  it('closes a stream its consumer stops reading (the plugin sees its signal abort), and cancels one mid-stream', async () => {
    const closed = signalled();
    const c = createMemoryCapabilities();
    const s: CallScope = { workspaceId: 'ws-1', capabilities: { ...c, log: (level, message) => (message === 'closed' ? closed.resolve() : undefined) } };
    // The plugin's signal fires when its consumer stops reading (its generator may be waiting on the host then).
    const code = bundle(`forever: { kind: 'tool', invoke: async function* (a, ctx) { ctx.signal.addEventListener('abort', () => ctx.log.info('closed')); for (let i = 0; ; i++) { await ctx.kv.get('x'); yield i; } } }`);
    // That may come after the call's scope closed (as inline): then its log line is the plugin-wide one.
    const runtime = track(new ProcessIsolateRuntime({ name: 'endless@1.0.0', code, host, onLog: (level, message) => (message === 'closed' ? closed.resolve() : undefined) }));
    const seen: unknown[] = [];
    for await (const item of stream(runtime, 'forever', [{}], s)) {
      seen.push(item);
      if (seen.length === 3) break;
    }
    expect(seen).to.deep.equal([0, 1, 2]);
    await closed.promise;
    const controller = new AbortController();
    const cancelled = await collect((async function* () {
      for await (const item of stream(runtime, 'forever', [{}], { ...s, signal: controller.signal })) {
        if (item === 5) controller.abort();
        yield item;
      }
    })());
    expect(cancelled).to.deep.include({ code: 'plugin_cancelled' });
    expect(await tool(runtime, 'forever', [{}], s).catch((e: PluginError) => e.code)).to.equal('plugin_bad_output');
  });

  it('fails the calls in a host process that is killed with plugin_crashed naming the plugin, and serves the next call from a new one', async () => {
    const started = signalled();
    const c = createMemoryCapabilities({ fetch: () => (started.resolve(), new Promise(() => undefined)) });
    const s: CallScope = { workspaceId: 'ws-1', capabilities: c };
    const code = bundle(`hang: { kind: 'tool', invoke: async (a, ctx) => { await ctx.fetch('http://x.test/'); return 'never'; } }, ok: { kind: 'tool', invoke: (a) => a.n + 1 }`);
    const victim = track(new ProcessIsolateRuntime({ name: 'victim@1.0.0', code, host }));
    const inline = track(new IsolateRuntime({ name: 'inline@1.0.0', code }));
    expect(await tool(victim, 'ok', [{ n: 1 }], s)).to.equal(2);
    const pid = host.pid!;
    const calls = [tool(victim, 'hang', [{}], s), tool(victim, 'hang', [{}], s)];
    await started.promise;
    process.kill(pid, 'SIGKILL');
    for (const call of calls) {
      const error = await failure(call);
      expect(error.code).to.equal('plugin_crashed');
      expect(error.message).to.match(/^plugin victim@1\.0\.0: the plugin-host process died during the call \(signal SIGKILL\)/);
      expect(error.details).to.deep.equal({ plugin: 'victim@1.0.0' });
      expect(error.status).to.equal(503);
    }
    // The API process goes on: inline plugins, and the same runtime on a new host process.
    expect(await tool(inline, 'ok', [{ n: 9 }], s)).to.equal(10);
    expect(await tool(victim, 'ok', [{ n: 2 }], s)).to.equal(3);
    expect(host.pid).to.be.a('number').and.not.equal(pid);
    expect(host.restartCount).to.be.at.least(1);
    expect(victim.runtimeStats).to.deep.include({ generation: 2, faults: 1 });
  });

  it('survives a plugin that makes V8 abort its process (a fatal error in String.prototype.split), failing only that call', async function () {
    this.timeout(120_000);
    const code = bundle(`split: { kind: 'tool', invoke: () => 'x'.repeat(2 ** 28).split('').length }, ok: { kind: 'tool', invoke: () => 'ok' }`);
    const hostile = track(new ProcessIsolateRuntime({ name: 'hostile@1.0.0', code, host, memoryLimitMb: 128, cpuLimitMs: 30_000 }));
    const bystander = track(new ProcessIsolateRuntime({ name: 'bystander@1.0.0', code, host }));
    expect(await tool(bystander, 'ok', [{}], scope)).to.equal('ok');
    const pid = host.pid;
    const error = await failure(tool(hostile, 'split', [{}], scope));
    expect(error.code).to.equal('plugin_crashed');
    expect(error.message).to.contain('plugin hostile@1.0.0');
    expect(host.pid).to.not.equal(pid);
    expect(await tool(bystander, 'ok', [{}], scope)).to.equal('ok');
    expect(await tool(hostile, 'ok', [{}], scope)).to.equal('ok');
  });

  it("starts the host process without the API process's environment (SECRET_KEY, DATABASE_URL, …)", async function () {
    if (process.platform !== 'linux') this.skip();
    process.env.TESSERA_TEST_SECRET = 'must-not-leak';
    const own = new PluginHostProcess();
    try {
      await own.start();
      const environ = readFileSync(`/proc/${own.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((entry) => entry.split('=')[0]);
      expect(environ).to.not.include('TESSERA_TEST_SECRET');
      // Node's own IPC variables aside, only what Node itself uses.
      expect(environ.filter((name) => !name!.startsWith('NODE_CHANNEL_') && !['PATH', 'TZ', 'LANG', 'NODE_ENV', 'TMPDIR'].includes(name!))).to.deep.equal([]);
    } finally {
      delete process.env.TESSERA_TEST_SECRET;
      await own.close();
    }
  });

  it('fails calls after the host is closed, and a runtime after it is disposed', async () => {
    const own = new PluginHostProcess();
    const runtime = new ProcessIsolateRuntime({ name: 'closing@1.0.0', code: bundle(`ok: { kind: 'tool', invoke: () => 'ok' }`), host: own });
    expect(await tool(runtime, 'ok', [{}], scope)).to.equal('ok');
    const pid = own.pid!;
    await own.close();
    expect(() => process.kill(pid, 0)).to.throw();
    expect((await failure(tool(runtime, 'ok', [{}], scope))).code).to.equal('plugin_cancelled');
    const other = track(new ProcessIsolateRuntime({ name: 'gone@1.0.0', code: bundle(`ok: { kind: 'tool', invoke: () => 'ok' }`), host }));
    await other.dispose();
    expect((await failure(tool(other, 'ok', [{}], scope))).message).to.contain('unloaded');
  });
});
