import { expect } from 'chai';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';

/** One test per fault: the faulty call fails with a coded error naming the plugin; everything else keeps serving. */
describe('plugin faults', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let probe: BuiltPlugin;
  let other: BuiltPlugin;

  before(async () => {
    [probe, other] = await Promise.all([buildProbePlugin('@test/probe'), buildProbePlugin('@test/other')]);
  });
  beforeEach(async () => {
    t = await startKernel({ env: { PLUGIN_CPU_LIMIT_MS: '300', PLUGIN_MEMORY_LIMIT_MB: '32' } });
    ({ token } = await setupOwner(t.api));
    for (const plugin of [probe, other]) {
      await uploadPlugin(t.api, token, plugin.tarball);
      await t.api('POST', `/console/api/plugins/${encodeURIComponent(plugin.name)}/enable`, { token, body: {} });
    }
  });
  afterEach(() => t.stop());

  const invoke = (name: string, tool: string, args: unknown = {}) => t.api('POST', `/console/api/tools/${encodeURIComponent(name)}/${tool}/invoke`, { token, body: { arguments: args } });

  async function stillServing(): Promise<void> {
    expect((await invoke('@test/probe', 'echo', { after: 'fault' })).status).to.equal(200);
    expect((await invoke('@test/other', 'echo')).status).to.equal(200);
  }

  it('a plugin that throws fails that call with plugin_internal_error naming the plugin', async () => {
    const res = await invoke('@test/probe', 'fail');
    expect(res.status).to.equal(500);
    expect(res.body).to.deep.equal({ code: 'plugin_internal_error', message: 'plugin @test/probe@0.1.0: something broke', status: 500 });
    await stillServing();
  });

  it('a plugin that throws a coded PluginError keeps its code and status', async () => {
    const res = await invoke('@test/probe', 'fail', { coded: true });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('plugin_invalid_arguments');
  });

  it('a plugin that returns garbage fails that call with plugin_bad_output', async () => {
    const res = await invoke('@test/probe', 'garbage');
    expect(res.status).to.equal(502);
    expect(res.body.code).to.equal('plugin_bad_output');
    expect(res.body.message).to.contain('@test/probe');
    await stillServing();
  });

  it('a plugin that loops forever is stopped with plugin_timeout while the kernel keeps answering', async () => {
    const looping = invoke('@test/probe', 'spin');
    const begun = Date.now();
    // Meanwhile the kernel answers, and other plugins work.
    const health = await t.api('GET', '/health');
    expect(health.status).to.equal(200);
    expect(Date.now() - begun).to.be.below(250);
    expect((await invoke('@test/other', 'echo')).status).to.equal(200);
    const res = await looping;
    expect(res.status).to.equal(504);
    expect(res.body.code).to.equal('plugin_timeout');
    expect(res.body.message).to.contain('@test/probe');
    await stillServing();
  });

  it('a plugin that allocates without bound is disposed with plugin_out_of_memory and recreated', async () => {
    const res = await invoke('@test/probe', 'hog');
    expect(res.status).to.equal(507);
    expect(res.body.code).to.equal('plugin_out_of_memory');
    expect(res.body.message).to.contain('32 MB');
    await stillServing();
  });

  it('a plugin that calls something it was not granted fails that call with plugin_permission_denied', async () => {
    const res = await invoke('@test/probe', 'fetch', { url: 'http://api.example.test/' });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('plugin_permission_denied');
    await stillServing();
  });
});
