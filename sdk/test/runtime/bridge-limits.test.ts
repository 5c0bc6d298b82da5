import { expect } from 'chai';
import { PluginError } from '../../src/errors.js';
import { resolveBridgeLimits } from '../../src/runtime/bridge-limits.js';
import type { HostFetchRequest } from '../../src/runtime/capabilities.js';
import { HostOps } from '../../src/runtime/host-ops.js';
import { IsolateRuntime, type CallScope } from '../../src/runtime/isolate-runtime.js';
import { createMemoryCapabilities, type MemoryCapabilities } from '../../src/testing/memory-capabilities.js';

/** A plugin bundle as `tessera-plugin build` emits it: one ES module, default export a plugin. */
function bundle(tools: string): string {
  return `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${tools} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should have failed').to.be.instanceOf(PluginError);
  return error as PluginError;
}

const MB = 1024 * 1024;

/**
 * Hostile plugins against the bridge's size and rate caps (security issue #13):
 * what a plugin sends to the host is refused or cut before it is copied out of
 * the isolate or parsed on the host, and the runtime keeps serving.
 */
describe('IsolateRuntime bridge limits', () => {
  let runtime: IsolateRuntime | undefined;
  let caps: MemoryCapabilities;
  let scope: CallScope;
  let fetched: HostFetchRequest[];
  const tool = (id: string, args: unknown[] = [{}]) => runtime!.call({ group: 'tools', id, method: 'invoke' }, args as never, scope);

  beforeEach(() => {
    fetched = [];
    caps = createMemoryCapabilities({
      kvQuotaBytes: 1024 * MB,
      fetch: async (request) => {
        fetched.push(request);
        return { status: 200, statusText: 'OK', url: request.url, redirected: false, headers: [], body: null };
      },
    });
    scope = { workspaceId: 'ws-1', capabilities: caps };
  });
  afterEach(async () => {
    await runtime?.dispose();
    runtime = undefined;
  });

  it('refuses a 50 MB argument to kv.get three times in one call with plugin_payload_too_large, and keeps serving', async function () {
    this.timeout(20_000);
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      code: bundle(`big: { kind: 'tool', invoke: async (a, ctx) => {
        const s = 'x'.repeat(50 * 1024 * 1024);
        const out = [];
        for (let i = 0; i < 3; i++) { try { await ctx.kv.get(s); out.push('served'); } catch (e) { out.push(e.code); } }
        return out;
      } }, ok: { kind: 'tool', invoke: () => 'ok' }`),
    });
    const heapBefore = process.memoryUsage().heapUsed;
    expect(await tool('big')).to.deep.equal(['plugin_payload_too_large', 'plugin_payload_too_large', 'plugin_payload_too_large']);
    // Nothing of the 150 MB reached the host's heap.
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(40 * MB);
    expect(await tool('ok')).to.equal('ok');
  });

  it('caps the argument of every operation: kv.get/set/list/delete, fetch with its body, models', async () => {
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      bridgeLimits: { maxOperationBytes: 64 * 1024, maxKvValueBytes: 64 * 1024 },
      code: bundle(`all: { kind: 'tool', invoke: async (a, ctx) => {
        const s = 'x'.repeat(100 * 1024);
        const attempts = {
          'kv.get': () => ctx.kv.get(s),
          'kv.set key': () => ctx.kv.set(s, 1),
          'kv.delete': () => ctx.kv.delete(s),
          'kv.list': () => ctx.kv.list({ prefix: s }),
          'fetch body': () => ctx.fetch('http://api.example.test/', { method: 'POST', body: new Uint8Array(100 * 1024) }),
          'fetch text body': () => ctx.fetch('http://api.example.test/', { method: 'POST', body: s }),
          'models.embed': () => ctx.models.embed({ provider: 'p', model: 'm', input: [s] }),
          'secrets.get': () => ctx.secrets.get(s),
        };
        const out = {};
        for (const [name, attempt] of Object.entries(attempts)) { try { await attempt(); out[name] = 'served'; } catch (e) { out[name] = e.code; } }
        const small = await ctx.fetch('http://api.example.test/', { method: 'POST', body: 'small' });
        out.small = small.status;
        return out;
      } }`),
    });
    const result = (await tool('all')) as Record<string, unknown>;
    const { small, ...refused } = result;
    expect(refused).to.deep.equal(Object.fromEntries(Object.keys(refused).map((k) => [k, 'plugin_payload_too_large'])));
    expect(Object.keys(refused)).to.have.length(8);
    expect(small).to.equal(200);
    // Only the small request reached the host's fetch.
    expect(fetched).to.have.length(1);
    expect(caps.store.size).to.equal(0);
  });

  it('refuses a kv value over its cap (before it is copied out) and stores one under it', async () => {
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      bridgeLimits: { maxKvValueBytes: 1000 },
      code: bundle(`set: { kind: 'tool', invoke: async (a, ctx) => { try { await ctx.kv.set('k', 'v'.repeat(a.n)); return 'stored'; } catch (e) { return e.code + ': ' + e.message; } } }`),
    });
    expect(await tool('set', [{ n: 2000 }])).to.match(/^plugin_payload_too_large: kv.set: a kv value may be at most 1000 bytes/);
    expect(caps.store.has('k')).to.equal(false);
    expect(await tool('set', [{ n: 900 }])).to.equal('stored');
    expect(caps.store.get('k')).to.equal('v'.repeat(900));
  });

  it('refuses 64 concurrent 20 MB kv.set calls without the host’s memory growing', async function () {
    this.timeout(30_000);
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      code: bundle(`flood: { kind: 'tool', invoke: async (a, ctx) => {
        const s = 'y'.repeat(20 * 1024 * 1024);
        const codes = await Promise.all(Array.from({ length: 64 }, (_, i) => ctx.kv.set('k' + i, s).then(() => 'stored', (e) => e.code)));
        return [...new Set(codes)];
      } }`),
    });
    const rssBefore = process.memoryUsage().rss;
    expect(await tool('flood')).to.deep.equal(['plugin_payload_too_large']);
    expect(caps.store.size).to.equal(0);
    // Before the caps this grew the host by 2.4 GB; what is left is the isolate's own heap.
    expect(process.memoryUsage().rss - rssBefore).to.be.below(400 * MB);
  });

  it('keeps at most maxConcurrentOperations host operations in flight; the others wait their turn and all succeed', async () => {
    let inFlight = 0;
    let most = 0;
    caps = createMemoryCapabilities({
      fetch: async (request) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // Answer on a later loop turn, so operations overlap.
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return { status: 200, statusText: 'OK', url: request.url, redirected: false, headers: [], body: null };
      },
    });
    scope = { workspaceId: 'ws-1', capabilities: caps };
    runtime = new IsolateRuntime({
      name: 'burst@1.0.0',
      bridgeLimits: { maxConcurrentOperations: 4 },
      code: bundle(`burst: { kind: 'tool', invoke: async (a, ctx) => (await Promise.all(Array.from({ length: 64 }, () => ctx.fetch('http://api.example.test/').then((r) => r.status)))).filter((s) => s === 200).length }`),
    });
    expect(await tool('burst')).to.equal(64);
    expect(most).to.equal(4);
  });

  it('fails a call whose 20 MB bytes result is over the result cap with plugin_payload_too_large, and keeps serving', async function () {
    this.timeout(30_000);
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      memoryLimitMb: 512,
      code: bundle(`bytes: { kind: 'tool', invoke: (a) => new Uint8Array(a.mb * 1024 * 1024) }, ok: { kind: 'tool', invoke: () => 'ok' }`),
    });
    const error = await failure(tool('bytes', [{ mb: 20 }]));
    expect(error.code).to.equal('plugin_payload_too_large');
    expect(error.message).to.contain('hostile@1.0.0').and.contain(`limit of ${16 * MB}`);
    expect(await tool('ok')).to.equal('ok');
    const small = (await tool('bytes', [{ mb: 1 }])) as unknown as Uint8Array;
    expect(small).to.be.instanceOf(Uint8Array);
    expect(small.length).to.equal(MB);
  });

  it('fails a stream whose batch of items is over the result cap, and a thrown error with a huge message', async () => {
    runtime = new IsolateRuntime({
      name: 'hostile@1.0.0',
      bridgeLimits: { maxResultBytes: 64 * 1024 },
      code: bundle(`items: { kind: 'tool', invoke: async function* () { yield 'small'; await new Promise((r) => setTimeout(r, 1)); yield 'z'.repeat(100 * 1024); } }, loud: { kind: 'tool', invoke: () => { throw new Error('e'.repeat(100 * 1024)); } }`),
    });
    const seen: unknown[] = [];
    const error = await failure((async () => {
      for await (const item of runtime!.stream({ group: 'tools', id: 'items', method: 'invoke' }, [{}], scope)) seen.push(item);
    })());
    expect(seen).to.deep.equal(['small']);
    expect(error.code).to.equal('plugin_payload_too_large');
    expect((await failure(tool('loud'))).code).to.equal('plugin_payload_too_large');
  });

  it('splits a batch of stream items that does not fit in one answer, so every item arrives in order', async () => {
    runtime = new IsolateRuntime({
      name: 'pages@1.0.0',
      bridgeLimits: { maxResultBytes: 256 * 1024 },
      code: bundle(`pages: { kind: 'tool', invoke: async function* () { for (let i = 0; i < 10; i++) yield { i, text: String(i).repeat(100 * 1024) }; } }`),
    });
    const seen: number[] = [];
    for await (const item of runtime.stream({ group: 'tools', id: 'pages', method: 'invoke' }, [{}], scope)) {
      const page = item as { i: number; text: string };
      expect(page.text).to.have.length(100 * 1024);
      seen.push(page.i);
    }
    expect(seen).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('cuts a huge log message and drops huge log fields, with a marker, and caps the lines of one call', async () => {
    runtime = new IsolateRuntime({
      name: 'chatty@1.0.0',
      bridgeLimits: { maxLogLinesPerCall: 50 },
      code: bundle(`big: { kind: 'tool', invoke: (a, ctx) => { ctx.log.info('m'.repeat(1024 * 1024), { blob: 'z'.repeat(29 * 1024 * 1024) }); console.log('c'.repeat(100000)); return 'logged'; } },
        many: { kind: 'tool', invoke: (a, ctx) => { for (let i = 0; i < 5000; i++) ctx.log.info('line ' + i); return 'logged'; } }`),
    });
    await tool('big');
    expect(caps.logs).to.have.length(1);
    const [line] = caps.logs;
    expect(line!.message).to.have.length(8192);
    expect(line!.message).to.match(/^m+ …\[truncated: 1048576 characters\]$/);
    expect(line!.fields).to.deep.equal({ truncated: `fields of ${29 * MB + 11} characters dropped (the limit is 16384)` });
    caps.logs.length = 0;
    await tool('many');
    expect(caps.logs).to.have.length(51);
    expect(caps.logs[49]!.message).to.equal('line 49');
    expect(caps.logs[50]).to.deep.include({ level: 'warn', message: 'log limit reached: 50 lines in this call; further lines are dropped' });
    // The next call has its own budget.
    caps.logs.length = 0;
    await tool('many');
    expect(caps.logs).to.have.length(51);
  });

  describe('on the host, whatever the isolate side did', () => {
    // The prelude's checks run beside the plugin's code; the host's own checks do not rely on them.
    const limits = resolveBridgeLimits({ maxOperationBytes: 1024, maxKvValueBytes: 100, maxConcurrentOperations: 2, maxLogMessageChars: 40, maxLogFieldsChars: 20 });

    it('refuses an oversized argument before parsing it, and never calls the capability', async () => {
      const ops = new HostOps('raw@1.0.0', undefined, () => undefined, limits);
      const callId = ops.open(scope);
      const answer = JSON.parse((await ops.handle(callId, 'kv.set', JSON.stringify({ key: 'k', value: 'v'.repeat(2000) }), undefined)) as string);
      expect(answer.__error.code).to.equal('plugin_payload_too_large');
      // Not even valid JSON: it is refused by its size, unread.
      const unread = JSON.parse((await ops.handle(callId, 'kv.get', `{${'x'.repeat(5000)}`, undefined)) as string);
      expect(unread.__error.code).to.equal('plugin_payload_too_large');
      const body = JSON.parse((await ops.handle(callId, 'fetch', JSON.stringify({ url: 'http://api.example.test/' }), new Uint8Array(2000))) as string);
      expect(body.__error.code).to.equal('plugin_payload_too_large');
      const notBytes = JSON.parse((await ops.handle(callId, 'fetch', JSON.stringify({ url: 'http://api.example.test/' }), 'x'.repeat(10) as unknown as Uint8Array)) as string);
      expect(notBytes.__error.code).to.equal('plugin_invalid_arguments');
      const value = JSON.parse((await ops.handle(callId, 'kv.set', JSON.stringify({ key: 'k', value: 'v'.repeat(200) }), undefined)) as string);
      expect(value.__error.code).to.equal('plugin_payload_too_large');
      expect(caps.store.size).to.equal(0);
      expect(fetched).to.have.length(0);
      expect(await ops.handle(callId, 'kv.set', JSON.stringify({ key: 'k', value: 'small' }), undefined)).to.equal('null');
      expect(caps.store.get('k')).to.equal('small');
    });

    it('refuses operations past the concurrency cap', async () => {
      const ops = new HostOps('raw@1.0.0', undefined, () => undefined, limits);
      const callId = ops.open(scope);
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => ops.handle(callId, 'kv.get', JSON.stringify({ key: `k${i}` }), undefined)));
      const codes = answers.map((a) => (JSON.parse(a as string) as { __error?: { code: string } }).__error?.code ?? 'served');
      expect(codes).to.deep.equal(['served', 'served', 'plugin_quota_exceeded', 'plugin_quota_exceeded']);
    });

    it('cuts log messages and drops log fields over their caps without parsing them', () => {
      const ops = new HostOps('raw@1.0.0', undefined, () => undefined, limits);
      const callId = ops.open(scope);
      ops.log(callId, 'info', 'a'.repeat(50), `{"a":"${'b'.repeat(100)}"`);
      expect(caps.logs).to.deep.equal([{ level: 'info', message: 'aaaaaaaaaaaa …[truncated: 50 characters]', fields: { truncated: 'fields of 107 characters dropped (the limit is 20)' } }]);
    });
  });
});
