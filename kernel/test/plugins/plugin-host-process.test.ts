import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildInlinePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';
import { PluginHostRef } from '../../src/services.js';

/** A logger whose lines the test can wait for. */
function watchedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of waiters.splice(0)) if (w.match(line)) w.resolve(line);
        else waiters.push(w);
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  const next = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  return { logger, lines, next };
}

/** Isolate plugins run in the plugin-host process (PLUGIN_HOST=process, the default): a plugin that brings it down fails only its calls. */
describe('the plugin-host process', function () {
  this.timeout(120_000);
  let plugin: BuiltPlugin;

  before(async () => {
    plugin = await buildInlinePlugin('@test/crasher', {
      ok: `(a) => ({ n: (a.n ?? 0) + 1 })`,
      hang: `(a, ctx) => new Promise((resolve) => { ctx.signal.addEventListener('abort', () => resolve('stopped')); ctx.log.info('hanging'); })`,
      split: `() => 'x'.repeat(2 ** 28).split('').length`,
    });
  });

  async function start(env: Record<string, string> = {}) {
    const watched = watchedLogger();
    const t = await startKernel({ env, logger: watched.logger });
    const { token } = await setupOwner(t.api);
    expect((await uploadPlugin(t.api, token, plugin.tarball)).status).to.equal(201);
    expect((await t.api('POST', `/console/api/plugins/${encodeURIComponent(plugin.name)}/enable`, { token, body: {} })).status).to.equal(200);
    const invoke = (tool: string, args: unknown = {}) => t.api('POST', `/console/api/tools/${encodeURIComponent(plugin.name)}/${tool}/invoke`, { token, body: { arguments: args } });
    return { t, invoke, ...watched };
  }

  describe('PLUGIN_HOST=process (default)', () => {
    let t: TestKernel;
    let invoke: Awaited<ReturnType<typeof start>>['invoke'];
    let next: Awaited<ReturnType<typeof start>>['next'];
    before(async () => {
      // Explicit, so this suite tests the process mode when the others run with PLUGIN_HOST=inline.
      ({ t, invoke, next } = await start({ PLUGIN_HOST: 'process' }));
    });
    after(() => t?.stop());

    it('runs isolates in a child process, not in the API process', async () => {
      expect((await invoke('ok', { n: 1 })).body).to.deep.equal({ result: { n: 2 } });
      const host = t.kernel.get(PluginHostRef).isolateProcess!;
      expect(host.pid).to.be.a('number').and.not.equal(process.pid);
    });

    it('fails the calls in a host process killed mid-call with 503 plugin_crashed naming the plugin; the kernel keeps serving and the next call runs in a new host', async () => {
      const host = t.kernel.get(PluginHostRef).isolateProcess!;
      const pid = host.pid!;
      const hanging = invoke('hang');
      await next((line) => line.msg === 'hanging');
      process.kill(pid, 'SIGKILL');
      const res = await hanging;
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('plugin_crashed');
      expect(res.body.message).to.match(/^plugin @test\/crasher@0\.1\.0: the plugin-host process died during the call \(signal SIGKILL\)/);
      expect((await t.api('GET', '/health')).status).to.equal(200);
      expect((await invoke('ok', { n: 5 })).body).to.deep.equal({ result: { n: 6 } });
      expect(host.pid).to.not.equal(pid);
      const logged = await next((line) => typeof line.msg === 'string' && line.msg.startsWith('the plugin-host process died'));
      expect(logged).to.include({ pid, signal: 'SIGKILL', failedCalls: 1 });
    });

    it('survives plugin code that makes V8 abort the host process', async () => {
      const pid = t.kernel.get(PluginHostRef).isolateProcess!.pid;
      const res = await invoke('split');
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('plugin_crashed');
      expect(res.body.message).to.contain('@test/crasher@0.1.0');
      expect((await t.api('GET', '/health')).status).to.equal(200);
      expect((await invoke('ok')).status).to.equal(200);
      expect(t.kernel.get(PluginHostRef).isolateProcess!.pid).to.not.equal(pid);
    });

    it('ends the host process when the kernel stops', async () => {
      const pid = t.kernel.get(PluginHostRef).isolateProcess!.pid!;
      process.kill(pid, 0);
      await t.stop();
      expect(() => process.kill(pid, 0)).to.throw(/ESRCH/);
      t = undefined as unknown as TestKernel;
    });
  });

  describe('PLUGIN_HOST=inline', () => {
    it('runs isolates in the API process', async () => {
      const { t, invoke } = await start({ PLUGIN_HOST: 'inline' });
      try {
        expect(t.kernel.get(PluginHostRef).isolateProcess).to.equal(undefined);
        expect((await invoke('ok', { n: 1 })).body).to.deep.equal({ result: { n: 2 } });
      } finally {
        await t.stop();
      }
    });
  });
});
