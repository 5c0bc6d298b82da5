import { expect } from 'chai';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin } from '../support/plugins.js';

describe('plugins in the node runtime', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  const NAME = '@test/trusted';
  const path = (suffix: string) => `/console/api/plugins/${encodeURIComponent(NAME)}${suffix}`;

  beforeEach(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
    const plugin = await buildProbePlugin(NAME, '0.1.0', (m) => {
      m.runtime = 'node';
    });
    expect((await uploadPlugin(t.api, token, plugin.tarball)).body.plugin.runtime).to.equal('node');
  });
  afterEach(() => t.stop());

  it('cannot be enabled without the admin’s explicit node_runtime grant', async () => {
    const res = await t.api('POST', path('/enable'), { token, body: { granted_permissions: {} } });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('node_runtime_not_granted');
  });

  it('runs in a worker thread with Node.js once granted, through the same tool API and bridge', async () => {
    await t.api('POST', path('/enable'), { token, body: { granted_permissions: { node_runtime: true } } });
    const escape = await t.api('POST', `/console/api/tools/${encodeURIComponent(NAME)}/escape/invoke`, { token, body: { arguments: {} } });
    expect(escape.status).to.equal(200);
    expect(escape.body.result.process).to.equal('object');
    await t.api('POST', `/console/api/tools/${encodeURIComponent(NAME)}/kv-set/invoke`, { token, body: { arguments: { key: 'k', value: 'v' } } });
    const kv = await t.api('POST', `/console/api/tools/${encodeURIComponent(NAME)}/kv-get/invoke`, { token, body: { arguments: { key: 'k' } } });
    expect(kv.body.result.value).to.equal('v');
  });
});
