import { expect } from 'chai';
import { pino } from 'pino';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildInlinePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';
import { DatabaseRef } from '../../src/services.js';

const MB = 1024 * 1024;

/**
 * Hostile plugins against a real kernel (security issue #13): what a plugin
 * sends to the host is size-capped before it is copied or parsed, its log lines
 * cannot pass for the host's, and the kernel's own errors do not reach it.
 * Each call fails with a coded error; the kernel keeps serving.
 */
describe('hostile plugins against the bridge limits', function () {
  this.timeout(60_000);
  let t: TestKernel;
  let token: string;
  let workspaceId: string;
  let hostile: BuiltPlugin;
  let lines: string[];

  before(async () => {
    hostile = await buildInlinePlugin('@test/hostile', {
      'kv-get-huge': `async (a, ctx) => { const s = 'x'.repeat(50 * 1024 * 1024); const out = []; for (let i = 0; i < 3; i++) { try { await ctx.kv.get(s); out.push('served'); } catch (e) { out.push(e.code); } } return out; }`,
      'kv-set-flood': `async (a, ctx) => { const s = 'y'.repeat(20 * 1024 * 1024); const codes = await Promise.all(Array.from({ length: 64 }, (_, i) => ctx.kv.set('k' + i, s).then(() => 'stored', (e) => e.code))); return [...new Set(codes)]; }`,
      'bytes-result': `(a) => new Uint8Array(a.mb * 1024 * 1024)`,
      'forge-log': `(a, ctx) => { ctx.log.warn('forged', { plugin: '@evil/forged', workspace: 'ws-forged', level: 60, msg: 'not mine' }); ctx.log.info('huge', { blob: 'z'.repeat(29 * 1024 * 1024) }); ctx.log.info('m'.repeat(100000)); return 'logged'; }`,
      'log-flood': `(a, ctx) => { for (let i = 0; i < a.n; i++) ctx.log.info('line ' + i); return 'logged'; }`,
      // The plugin makes the NUL itself: since #14 one in a request body is refused at the kernel's edge.
      'kv-set': `async (a, ctx) => { try { await ctx.kv.set('k', a.nul ? 'a' + String.fromCharCode(0) + 'b' : a.value); return 'stored'; } catch (e) { return e.code + ': ' + e.message; } }`,
      echo: `(a) => a`,
    });
  });
  beforeEach(async () => {
    lines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    t = await startKernel({ logger });
    ({ token, workspaceId } = await setupOwner(t.api));
    await uploadPlugin(t.api, token, hostile.tarball);
    await t.api('POST', `/console/api/plugins/${encodeURIComponent(hostile.name)}/enable`, { token, body: {} });
  });
  afterEach(() => t.stop());

  const invoke = (tool: string, args: unknown = {}) => t.api('POST', `/console/api/tools/${encodeURIComponent(hostile.name)}/${tool}/invoke`, { token, body: { arguments: args } });
  const pluginLines = () => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.plugin === hostile.name || l.plugin === '@evil/forged' || l.fields !== undefined);

  async function stillServing(): Promise<void> {
    const begun = Date.now();
    expect((await t.api('GET', '/health')).status).to.equal(200);
    expect(Date.now() - begun).to.be.below(1000);
    expect((await invoke('echo', { after: 'hostile' })).body.result).to.deep.equal({ after: 'hostile' });
  }

  it('a 50 MB argument to kv.get, three times in one call, fails each with plugin_payload_too_large', async () => {
    const res = await invoke('kv-get-huge');
    expect(res.status).to.equal(200);
    expect(res.body.result).to.deep.equal(['plugin_payload_too_large', 'plugin_payload_too_large', 'plugin_payload_too_large']);
    await stillServing();
  });

  it('64 concurrent 20 MB kv.set calls are refused before they reach the store', async () => {
    const rss = process.memoryUsage().rss;
    const res = await invoke('kv-set-flood');
    expect(res.body.result).to.deep.equal(['plugin_payload_too_large']);
    expect(process.memoryUsage().rss - rss).to.be.below(400 * MB);
    expect(await t.kernel.get(DatabaseRef).knex('plugin_kv').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    await stillServing();
  });

  it('a 20 MB bytes result fails the call with 413 plugin_payload_too_large instead of a 184 MB response', async () => {
    const begun = Date.now();
    const res = await invoke('bytes-result', { mb: 20 });
    expect(res.status).to.equal(413);
    expect(res.body.code).to.equal('plugin_payload_too_large');
    expect(res.body.message).to.contain('@test/hostile');
    expect(Date.now() - begun).to.be.below(5000);
    await stillServing();
  });

  it('bytes in a tool result go out as base64, not as an object with one key per byte', async () => {
    const res = await invoke('bytes-result', { mb: 1 });
    expect(res.status).to.equal(200);
    expect(res.body.result).to.deep.equal({ $bytes: Buffer.alloc(MB).toString('base64') });
  });

  it('log lines keep the host’s plugin and workspace, the plugin’s fields are nested, and huge messages and fields are cut', async () => {
    expect((await invoke('forge-log')).status).to.equal(200);
    const logged = pluginLines();
    const forged = logged.find((l) => l.msg === 'forged')!;
    expect(forged).to.deep.include({ plugin: hostile.name, workspace: workspaceId, level: 40 });
    expect(forged.fields).to.deep.equal({ plugin: '@evil/forged', workspace: 'ws-forged', level: 60, msg: 'not mine' });
    const huge = logged.find((l) => l.msg === 'huge')!;
    expect(huge.fields).to.deep.equal({ truncated: `fields of ${29 * MB + 11} characters dropped (the limit is 16384)` });
    const long = logged.find((l) => typeof l.msg === 'string' && l.msg.startsWith('mmm'))!;
    expect(long.msg).to.have.length(8192);
    expect(long.msg).to.match(/…\[truncated: 100000 characters\]$/);
    for (const line of lines) expect(line.length).to.be.below(20_000);
  });

  it('a call may write at most PLUGIN_LOG_LINES_PER_CALL lines; one more says the rest were dropped', async () => {
    expect((await invoke('log-flood', { n: 2000 })).status).to.equal(200);
    const logged = pluginLines().filter((l) => /^(line |log limit)/.test(String(l.msg)));
    expect(logged).to.have.length(501);
    expect(logged[500]).to.deep.include({ level: 40, msg: 'log limit reached: 500 lines in this call; further lines are dropped' });
  });

  it('a kv error the database raises reaches the plugin coded and generic; the SQL stays in the host’s log', async () => {
    // PostgreSQL's jsonb refuses \u0000: a real database error, with the statement in its message.
    const res = await invoke('kv-set', { nul: true });
    expect(res.body.result).to.equal('plugin_internal_error: the plugin store failed (kv.set)');
    expect(res.body.result).not.to.match(/insert|plugin_kv|select/i);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'kv.set failed');
    expect(logged).to.deep.include({ plugin: hostile.name, workspace: workspaceId, op: 'kv.set' });
    expect(String(logged!.err.message)).to.match(/insert into "plugin_kv"/);
    expect((await invoke('kv-set', { value: 'fine' })).body.result).to.equal('stored');
  });
});
