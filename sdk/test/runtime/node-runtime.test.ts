import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../src/errors.js';
import { NodeRuntime } from '../../src/runtime/node-runtime.js';
import type { CallScope } from '../../src/runtime/plugin-runtime.js';
import { createMemoryCapabilities, type MemoryCapabilities } from '../../src/testing/memory-capabilities.js';

function bundle(tools: string, imports = ''): string {
  return `${imports}
export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${tools} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'the call should have failed').to.be.instanceOf(PluginError);
  return error as PluginError;
}

describe('NodeRuntime (worker thread, full Node.js)', function () {
  this.timeout(20_000);
  let cacheDir: string;
  let runtime: NodeRuntime;
  let caps: MemoryCapabilities;
  let scope: CallScope;
  const tool = (id: string, args: unknown = {}) => runtime.call({ group: 'tools', id, method: 'invoke' }, [args as never], scope);

  before(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'tessera-node-runtime-'));
  });
  after(() => rmSync(cacheDir, { recursive: true, force: true }));
  beforeEach(() => {
    caps = createMemoryCapabilities({ secrets: { token: 't-1' } });
    scope = { workspaceId: 'ws-1', capabilities: caps };
  });
  afterEach(() => runtime?.dispose());

  it('runs a plugin that uses Node APIs, with the same capabilities as an isolate', async () => {
    runtime = new NodeRuntime({
      name: 'driver@1.0.0',
      cacheDir,
      code: bundle(`info: { kind: 'tool', invoke: async (a, ctx) => { await ctx.kv.set('n', a.n); ctx.log.info('stored'); return { platform: os.platform(), n: await ctx.kv.get('n'), token: await ctx.secrets.get('token'), ws: ctx.workspaceId }; } }`, `import os from 'node:os';`),
    });
    expect(await tool('info', { n: 3 })).to.deep.equal({ platform: process.platform, n: 3, token: 't-1', ws: 'ws-1' });
    expect(caps.logs.map((l) => l.message)).to.deep.equal(['stored']);
  });

  it('streams items one by one', async () => {
    runtime = new NodeRuntime({ name: 'stream@1.0.0', cacheDir, code: bundle(`count: { kind: 'tool', invoke: async function* (a) { for (let i = 0; i < a.n; i++) yield i; } }`) });
    const items: unknown[] = [];
    for await (const item of runtime.stream({ group: 'tools', id: 'count', method: 'invoke' }, [{ n: 3 }], scope)) items.push(item);
    expect(items).to.deep.equal([0, 1, 2]);
  });

  it('stops a plugin that loops forever with plugin_timeout, then serves from a fresh worker', async () => {
    runtime = new NodeRuntime({ name: 'spin@1.0.0', cacheDir, cpuLimitMs: 300, code: bundle(`spin: { kind: 'tool', invoke: (a) => { if (a.forever) for (;;) {} return 'ok'; } }`) });
    expect((await failure(tool('spin', { forever: true }))).code).to.equal('plugin_timeout');
    expect(await tool('spin')).to.equal('ok');
    expect(runtime.runtimeStats.generation).to.equal(2);
  });

  it('stops a plugin that allocates without bound with plugin_out_of_memory, then recovers', async () => {
    runtime = new NodeRuntime({ name: 'hog@1.0.0', cacheDir, memoryLimitMb: 32, cpuLimitMs: 15_000, code: bundle(`hog: { kind: 'tool', invoke: () => { const keep = []; for (;;) keep.push(new Array(100000).fill(Math.random())); } }, ok: { kind: 'tool', invoke: () => 'ok' }`) });
    expect((await failure(tool('hog'))).code).to.equal('plugin_out_of_memory');
    expect(await tool('ok')).to.equal('ok');
  });

  it('fails a call that throws with a coded error naming the plugin', async () => {
    runtime = new NodeRuntime({ name: 'flaky@1.0.0', cacheDir, code: bundle(`boom: { kind: 'tool', invoke: () => { throw new Error('driver broke'); } }`) });
    const error = await failure(tool('boom'));
    expect(error.code).to.equal('plugin_internal_error');
    expect(error.message).to.equal('plugin flaky@1.0.0: driver broke');
  });
});
