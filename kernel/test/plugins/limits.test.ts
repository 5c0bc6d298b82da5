import { expect } from 'chai';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';

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

/** Plugin execution limits through the kernel (issue #13): the settings reach the isolates, and a misbehaving plugin never holds up the kernel. */
describe('plugin execution limits', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let probe: BuiltPlugin;

  before(async () => {
    probe = await buildProbePlugin('@test/probe');
  });
  beforeEach(async () => {
    t = await startKernel({ env: { PLUGIN_CALL_TIMEOUT_MS: '500' } });
    ({ token } = await setupOwner(t.api));
    await uploadPlugin(t.api, token, probe.tarball);
    await t.api('POST', `/console/api/plugins/${encodeURIComponent(probe.name)}/enable`, { token, body: {} });
  });
  afterEach(() => t.stop());

  const invoke = (tool: string, args: unknown = {}) => t.api('POST', `/console/api/tools/${encodeURIComponent(probe.name)}/${tool}/invoke`, { token, body: { arguments: args } });

  it('fails a tool call that never answers with plugin_timeout at PLUGIN_CALL_TIMEOUT_MS, then serves the next call', async () => {
    const begun = Date.now();
    const res = await invoke('hang');
    expect(res.status).to.equal(504);
    expect(res.body.code).to.equal('plugin_timeout');
    expect(res.body.message).to.contain('wall-clock');
    expect(Date.now() - begun).to.be.within(450, 2500);
    expect((await invoke('echo', { after: 'hang' })).status).to.equal(200);
  });

  it('does not block the kernel when a plugin keeps its isolate busy after answering, and serves its next call soon', async () => {
    for (let i = 0; i < 20; i++) expect((await invoke('echo', { i })).status).to.equal(200);
    expect((await invoke('linger', { ms: 1500 })).body.result).to.deep.equal({ lingering: true });
    const stalls = watchStalls();
    const begun = Date.now();
    const [next, health] = await Promise.all([invoke('echo', { after: 'linger' }), t.api('GET', '/health')]);
    expect(stalls.stop(), 'the kernel’s thread waited on the busy isolate (longest stall, ms)').to.be.below(150);
    expect(health.status).to.equal(200);
    expect(next.status).to.equal(200);
    expect(Date.now() - begun, 'the next call waited behind the leftover loop').to.be.below(1000);
  });
});
