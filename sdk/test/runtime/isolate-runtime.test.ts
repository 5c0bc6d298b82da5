import { expect } from 'chai';
import { PluginError } from '../../src/errors.js';
import { IsolateRuntime, type CallScope } from '../../src/runtime/isolate-runtime.js';
import { createMemoryCapabilities, type MemoryCapabilities } from '../../src/testing/memory-capabilities.js';

/** A plugin bundle as `tessera-plugin build` emits it: one ES module, default export a plugin. */
function bundle(tools: string, extra = ''): string {
  return `${extra}
export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${tools} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should have failed').to.be.instanceOf(PluginError);
  return error as PluginError;
}

describe('IsolateRuntime', () => {
  let runtime: IsolateRuntime;
  let caps: MemoryCapabilities;
  let scope: CallScope;
  const tool = (id: string, args: unknown[] = [{}], s: CallScope = scope) => runtime.call({ group: 'tools', id, method: 'invoke' }, args as never, s);

  beforeEach(() => {
    caps = createMemoryCapabilities({ secrets: { api_key: 'sk-test' } });
    scope = { workspaceId: 'ws-1', capabilities: caps };
  });
  afterEach(() => runtime?.dispose());

  it('invokes a tool with JSON arguments and returns its JSON result', async () => {
    runtime = new IsolateRuntime({ name: 'calc@1.0.0', code: bundle(`add: { kind: 'tool', invoke: async (a) => ({ sum: a.x + a.y }) }`) });
    expect(await tool('add', [{ x: 2, y: 40 }])).to.deep.equal({ sum: 42 });
  });

  it('describes the contributions the bundle really exports', async () => {
    runtime = new IsolateRuntime({ name: 'calc@1.0.0', code: bundle(`add: { kind: 'tool', invoke: () => 1, stream: async function* () {} }`) });
    const described = await runtime.describe();
    expect(described.contributions.tools).to.deep.equal({ add: ['invoke', 'stream'] });
  });

  it('gives the plugin its context: workspace, kv, secrets and a tagged log', async () => {
    runtime = new IsolateRuntime({
      name: 'ctx@1.0.0',
      code: bundle(`use: { kind: 'tool', invoke: async (a, ctx) => {
        await ctx.kv.set('seen', { n: a.n });
        ctx.log.info('stored', { n: a.n });
        return { ws: ctx.workspaceId, kv: await ctx.kv.get('seen'), missing: await ctx.kv.get('nope') ?? 'absent', key: await ctx.secrets.get('api_key') };
      } }`),
    });
    expect(await tool('use', [{ n: 7 }])).to.deep.equal({ ws: 'ws-1', kv: { n: 7 }, missing: 'absent', key: 'sk-test' });
    expect(caps.store.get('seen')).to.deep.equal({ n: 7 });
    expect(caps.logs).to.deep.equal([{ level: 'info', message: 'stored', fields: { n: 7 } }]);
  });

  it('streams items across the bridge one at a time, as the plugin produces them', async () => {
    runtime = new IsolateRuntime({
      name: 'stream@1.0.0',
      code: bundle(`count: { kind: 'tool', invoke: async function* (a, ctx) { for (let i = 0; i < a.n; i++) { await new Promise((r) => setTimeout(r, 30)); yield { i }; } } }`),
    });
    const seen: Array<{ i: number; at: number }> = [];
    const begun = Date.now();
    for await (const item of runtime.stream({ group: 'tools', id: 'count', method: 'invoke' }, [{ n: 4 }], scope)) seen.push({ i: (item as { i: number }).i, at: Date.now() - begun });
    expect(seen.map((s) => s.i)).to.deep.equal([0, 1, 2, 3]);
    expect(seen[0]!.at).to.be.below(seen[3]!.at - 60);
  });

  it('keeps the code of a PluginError the plugin throws, and names the plugin', async () => {
    runtime = new IsolateRuntime({
      name: 'picky@2.0.0',
      code: bundle(`check: { kind: 'tool', invoke: () => { const e = new Error('x must be positive'); e.name = 'PluginError'; e.code = 'plugin_invalid_arguments'; throw e; } }`),
    });
    const error = await failure(tool('check'));
    expect(error.code).to.equal('plugin_invalid_arguments');
    expect(error.message).to.equal('plugin picky@2.0.0: x must be positive');
  });

  it('fails a call that throws with plugin_internal_error, and keeps serving the next call', async () => {
    runtime = new IsolateRuntime({ name: 'flaky@1.0.0', code: bundle(`boom: { kind: 'tool', invoke: (a) => { if (a.fail) throw new TypeError('bad thing'); return 'fine'; } }`) });
    const error = await failure(tool('boom', [{ fail: true }]));
    expect(error.code).to.equal('plugin_internal_error');
    expect(error.message).to.equal('plugin flaky@1.0.0: TypeError: bad thing');
    expect(await tool('boom', [{ fail: false }])).to.equal('fine');
  });

  it('fails a call that returns something that is not JSON with plugin_bad_output', async () => {
    runtime = new IsolateRuntime({ name: 'garbage@1.0.0', code: bundle(`junk: { kind: 'tool', invoke: () => { const a = {}; a.self = a; return a; } }, big: { kind: 'tool', invoke: () => 10n }`) });
    expect((await failure(tool('junk'))).code).to.equal('plugin_bad_output');
    expect((await failure(tool('big'))).code).to.equal('plugin_bad_output');
  });

  it('stops a call that loops forever with plugin_timeout, then serves the next call from a fresh isolate', async function () {
    this.timeout(10_000);
    runtime = new IsolateRuntime({ name: 'spin@1.0.0', cpuLimitMs: 200, code: bundle(`spin: { kind: 'tool', invoke: (a) => { if (a.forever) for (;;) {} return 'done'; } }`) });
    const begun = Date.now();
    const error = await failure(tool('spin', [{ forever: true }]));
    expect(error.code).to.equal('plugin_timeout');
    expect(error.message).to.contain('spin@1.0.0');
    expect(Date.now() - begun).to.be.below(2000);
    expect(await tool('spin', [{ forever: false }])).to.equal('done');
    expect(runtime.runtimeStats.generation).to.equal(2);
  });

  it('stops a loop that starts after an await (on the isolate thread) with plugin_timeout', async function () {
    this.timeout(10_000);
    runtime = new IsolateRuntime({ name: 'spin@1.0.0', cpuLimitMs: 200, code: bundle(`spin: { kind: 'tool', invoke: async (a, ctx) => { await ctx.kv.get('x'); for (;;) {} } }, ok: { kind: 'tool', invoke: () => 'ok' }`) });
    expect((await failure(tool('spin'))).code).to.equal('plugin_timeout');
    expect(await tool('ok')).to.equal('ok');
  });

  it('disposes an isolate that allocates without bound with plugin_out_of_memory, then recovers', async function () {
    this.timeout(20_000);
    runtime = new IsolateRuntime({ name: 'hog@1.0.0', memoryLimitMb: 16, cpuLimitMs: 10_000, code: bundle(`hog: { kind: 'tool', invoke: async () => { const a = []; for (;;) a.push(new Array(100000).fill(Math.random())); } }, ok: { kind: 'tool', invoke: () => 'ok' }`) });
    const error = await failure(tool('hog'));
    expect(error.code).to.equal('plugin_out_of_memory');
    expect(error.message).to.contain('16 MB');
    expect(await tool('ok')).to.equal('ok');
  });

  it('runs without Node APIs: no require, process, fetch, Buffer or import of node modules', async () => {
    runtime = new IsolateRuntime({
      name: 'probe@1.0.0',
      code: bundle(`probe: { kind: 'tool', invoke: () => ({ require: typeof require, process: typeof process, fetch: typeof fetch, buffer: typeof Buffer, dynamicImport: typeof globalThis.__host_op_ref }) }`),
    });
    expect(await tool('probe')).to.deep.equal({ require: 'undefined', process: 'undefined', fetch: 'undefined', buffer: 'undefined', dynamicImport: 'undefined' });
    const importer = new IsolateRuntime({ name: 'fs@1.0.0', code: `import { readFileSync } from 'node:fs';\nexport default { kind: 'plugin', tools: { read: { invoke: () => readFileSync('/etc/passwd', 'utf8') } } };` });
    const error = await failure(importer.call({ group: 'tools', id: 'read', method: 'invoke' }, [{}], scope));
    expect(error.code).to.equal('plugin_invalid_definition');
    expect(error.message).to.contain('imports "node:fs"');
  });

  it('refuses a capability used after its call returned', async () => {
    runtime = new IsolateRuntime({
      name: 'hoarder@1.0.0',
      code: bundle(`keep: { kind: 'tool', invoke: (a, ctx) => { globalThis.kept = ctx; return 'kept'; } }, reuse: { kind: 'tool', invoke: async () => { try { await globalThis.kept.secrets.get('api_key'); return 'leaked'; } catch (e) { return e.code + ': ' + e.message; } } }`),
    });
    await tool('keep');
    const other: CallScope = { workspaceId: 'ws-2', capabilities: createMemoryCapabilities({ secrets: { api_key: 'other' } }) };
    expect(await tool('reuse', [{}], other)).to.match(/^plugin_permission_denied: .*outside of a call/);
  });

  it('cancels a call: the caller gets plugin_cancelled and the plugin sees its signal abort', async () => {
    const late: string[] = [];
    runtime = new IsolateRuntime({
      name: 'slow@1.0.0',
      // The call's scope is closed once it is cancelled: what the plugin logs afterwards goes to the plugin-wide log.
      onLog: (level, message) => late.push(message),
      code: bundle(`wait: { kind: 'tool', invoke: (a, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => { ctx.log.warn('aborted'); resolve('stopped'); })) }`),
    });
    await runtime.activate();
    const controller = new AbortController();
    const call = tool('wait', [{}], { ...scope, signal: controller.signal });
    await sleep(50);
    controller.abort();
    expect((await failure(call)).code).to.equal('plugin_cancelled');
    await sleep(50);
    expect(late).to.include('aborted');
  });

  it('serves warm calls on the fast path, and still stops one that turns into a loop', async function () {
    this.timeout(10_000);
    runtime = new IsolateRuntime({ name: 'fast@1.0.0', cpuLimitMs: 300, code: bundle(`f: { kind: 'tool', invoke: (a) => { if (a.loop) for (;;) {} return a.n * 2; } }`) });
    for (let n = 0; n < 20; n++) expect(await tool('f', [{ n }])).to.equal(n * 2);
    expect(runtime.runtimeStats.fastCalls).to.be.greaterThan(10);
    expect((await failure(tool('f', [{ loop: true }]))).code).to.equal('plugin_timeout');
    expect(await tool('f', [{ n: 4 }])).to.equal(8);
  });

  it('answers many concurrent calls correctly', async () => {
    runtime = new IsolateRuntime({ name: 'conc@1.0.0', code: bundle(`echo: { kind: 'tool', invoke: async (a, ctx) => { await ctx.kv.get('k'); return a.i; } }`) });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => tool('echo', [{ i }])));
    expect(results).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
  });

  it('provides UTF-8 TextEncoder/TextDecoder, atob/btoa inside the isolate', async () => {
    runtime = new IsolateRuntime({
      name: 'text@1.0.0',
      code: bundle(`t: { kind: 'tool', invoke: (a) => { const bytes = new TextEncoder().encode(a.s); const d = new TextDecoder(); const half = Math.floor(bytes.length / 2); return { n: bytes.length, back: d.decode(bytes.subarray(0, half), { stream: true }) + d.decode(bytes.subarray(half)), b64: btoa('hi!'), raw: atob('aGkh') }; } }`),
    });
    const s = 'héllo 世界 🎉';
    expect(await tool('t', [{ s }])).to.deep.equal({ n: Buffer.byteLength(s), back: s, b64: 'aGkh', raw: 'hi!' });
  });

  it('fails to load a bundle whose default export is not a plugin', async () => {
    runtime = new IsolateRuntime({ name: 'plain@1.0.0', code: `export default { tools: {} };` });
    const error = await failure(runtime.activate());
    expect(error.code).to.equal('plugin_invalid_definition');
    expect(error.message).to.contain('not a plugin');
  });

  it('lets a plugin abort its own fetch with an AbortController', async () => {
    let aborted = false;
    caps = createMemoryCapabilities({
      fetch: (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted by the plugin'));
          });
        }),
    });
    scope = { workspaceId: 'ws-1', capabilities: caps };
    runtime = new IsolateRuntime({
      name: 'abort@1.0.0',
      code: bundle(`f: { kind: 'tool', invoke: async (a, ctx) => { const c = new AbortController(); setTimeout(() => c.abort(), 20); try { await ctx.fetch('http://x.test/', { signal: c.signal }); return 'fetched'; } catch (e) { return 'aborted: ' + e.code; } } }`),
    });
    expect(await tool('f')).to.equal('aborted: plugin_cancelled');
    expect(aborted).to.equal(true);
  });

  it('passes bytes both ways as Uint8Array (a document loader’s file)', async () => {
    runtime = new IsolateRuntime({
      name: 'bytes@1.0.0',
      code: bundle(`b: { kind: 'tool', invoke: (a) => ({ isBytes: a.file instanceof Uint8Array, length: a.file.length, text: new TextDecoder().decode(a.file), back: new TextEncoder().encode('é!') }) }`),
    });
    const result = (await tool('b', [{ file: new TextEncoder().encode('héllo') }])) as unknown as { isBytes: boolean; length: number; text: string; back: Uint8Array };
    expect(result).to.deep.include({ isBytes: true, length: 6, text: 'héllo' });
    expect(result.back).to.be.instanceOf(Uint8Array);
    expect(Buffer.from(result.back).toString('utf8')).to.equal('é!');
  });
});
