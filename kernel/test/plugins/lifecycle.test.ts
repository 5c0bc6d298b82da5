import { expect } from 'chai';
import { addMember, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';
import { PluginHostRef } from '../../src/services.js';

const NAME = '@test/probe';
const path = (suffix = '') => `/console/api/plugins/${encodeURIComponent(NAME)}${suffix}`;

describe('plugin lifecycle over the console API', () => {
  let t: TestKernel;
  let token: string;
  let v1: BuiltPlugin;
  let v2: BuiltPlugin;

  before(async () => {
    [v1, v2] = await Promise.all([buildProbePlugin(NAME, '0.1.0'), buildProbePlugin(NAME, '0.2.0')]);
  });
  beforeEach(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
  });
  afterEach(() => t.stop());

  const invoke = (tool: string, args: unknown = {}, as = token) => t.api('POST', `/console/api/tools/${encodeURIComponent(NAME)}/${tool}/invoke`, { token: as, body: { arguments: args } });

  it('POST /plugins/upload installs a tarball without enabling it (201 with the manifest facts)', async () => {
    const res = await uploadPlugin(t.api, token, v1.tarball);
    expect(res.status).to.equal(201);
    expect(res.body.plugin).to.include({ name: NAME, version: '0.1.0', runtime: 'isolate' });
    expect(res.body.plugin.contributes.tools.map((tool: { id: string }) => tool.id)).to.include('echo');
    expect(res.body.plugin.permissions.network.hosts).to.deep.equal(['127.0.0.1', 'api.example.test']);
    expect((await invoke('echo')).body.code).to.equal('plugin_not_installed');
    const listed = await t.api('GET', '/console/api/plugins', { token });
    expect(listed.body.data).to.have.length(1);
    expect(listed.body.data[0].installation).to.equal(null);
  });

  it('lists a plugin and its tools from the manifest without running its code', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    await t.api('POST', path('/enable'), { token, body: { granted_permissions: {} } });
    const tools = await t.api('GET', '/console/api/tools', { token });
    expect(tools.body.data.map((tool: { id: string }) => tool.id)).to.include.members(['echo', 'spin']);
    expect(t.kernel.get(PluginHostRef).activeIsolates).to.equal(0);
  });

  it('enables with exactly the granted permissions, then invokes a tool', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    const enabled = await t.api('POST', path('/enable'), { token, body: { granted_permissions: { network: { hosts: ['api.example.test'] } } } });
    expect(enabled.status).to.equal(200);
    expect(enabled.body.installation.granted_permissions).to.deep.equal({ network: { hosts: ['api.example.test'] } });
    const res = await invoke('echo', { hello: 'world' });
    expect(res.status).to.equal(200);
    expect(res.body.result).to.deep.include({ args: { hello: 'world' }, version: '0.1.0' });
  });

  it('refuses to grant a host the manifest does not declare (403 permission_not_declared)', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    const res = await t.api('POST', path('/enable'), { token, body: { granted_permissions: { network: { hosts: ['evil.example.com'] } } } });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('permission_not_declared');
    const unknown = await t.api('POST', path('/enable'), { token, body: { granted_permissions: { filesystem: true } } });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.params).to.equal('granted_permissions.filesystem');
  });

  it('disables and re-enables a plugin', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    await t.api('POST', path('/enable'), { token, body: {} });
    expect((await t.api('POST', path('/disable'), { token })).status).to.equal(200);
    const disabled = await invoke('echo');
    expect(disabled.status).to.equal(409);
    expect(disabled.body.code).to.equal('plugin_disabled');
    await t.api('POST', path('/enable'), { token, body: {} });
    expect((await invoke('echo')).status).to.equal(200);
  });

  it('upgrades and rolls back without a restart, keeping the workspace’s credentials and data', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    await uploadPlugin(t.api, token, v2.tarball);
    await t.api('POST', path('/enable'), { token, body: { version: '0.1.0' } });
    const saved = await t.api('PUT', path('/secrets'), { token, body: { secrets: { api_key: 'sk-kept' } } });
    expect(saved.body.names).to.deep.equal(['api_key']);
    await invoke('kv-set', { key: 'k', value: 'kept' });
    expect((await invoke('echo')).body.result.version).to.equal('0.1.0');

    const upgraded = await t.api('POST', path('/upgrade'), { token, body: { version: '0.2.0' } });
    expect(upgraded.body.installation).to.include({ version: '0.2.0', previous_version: '0.1.0' });
    expect((await invoke('echo')).body.result.version).to.equal('0.2.0');
    expect((await invoke('secret', { name: 'api_key' })).body.result.value).to.equal('sk-kept');
    expect((await invoke('kv-get', { key: 'k' })).body.result.value).to.equal('kept');

    const rolledBack = await t.api('POST', path('/rollback'), { token });
    expect(rolledBack.body.installation).to.include({ version: '0.1.0', previous_version: '0.2.0' });
    expect((await invoke('echo')).body.result.version).to.equal('0.1.0');
    expect((await invoke('secret', { name: 'api_key' })).body.result.value).to.equal('sk-kept');
  });

  it('uninstalls from the workspace, removing its data and credentials', async () => {
    await uploadPlugin(t.api, token, v1.tarball);
    await t.api('POST', path('/enable'), { token, body: {} });
    await t.api('PUT', path('/secrets'), { token, body: { secrets: { api_key: 'sk-gone' } } });
    expect((await t.api('DELETE', path(), { token })).status).to.equal(204);
    expect((await invoke('echo')).body.code).to.equal('plugin_not_installed');
    await t.api('POST', path('/enable'), { token, body: {} });
    expect((await invoke('secret', { name: 'api_key' })).body.result.value).to.equal(null);
  });

  it('refuses a package whose manifest is invalid, naming the field', async () => {
    const bad = await buildProbePlugin('@test/bad', '0.1.0', (m) => {
      (m.contributes as { tools: Array<{ id: string }> }).tools[0]!.id = 'Not An Id';
    });
    const res = await uploadPlugin(t.api, token, bad.tarball);
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('invalid_plugin_manifest');
    expect(res.body.message).to.contain('tessera.contributes.tools[0].id');
  });

  it('refuses a manifest that declares a tool the bundle does not export', async () => {
    const liar = await buildProbePlugin('@test/liar', '0.1.0', (m) => {
      (m.contributes as { tools: unknown[] }).tools.push({ id: 'ghost', name: 'Ghost', description: 'Not there', parameters: { type: 'object' } });
    });
    const res = await uploadPlugin(t.api, token, liar.tarball);
    expect(res.status).to.equal(400);
    expect(res.body.message).to.contain('tools: ghost');
  });

  it('refuses a file that is not a tarball, and a second upload of a version with other contents', async () => {
    const junk = await uploadPlugin(t.api, token, Buffer.from('not a tarball at all'));
    expect(junk.status).to.equal(400);
    expect(junk.body.code).to.equal('invalid_plugin_package');
    await uploadPlugin(t.api, token, v1.tarball);
    expect((await uploadPlugin(t.api, token, v1.tarball)).status).to.equal(201);
    const changed = await buildProbePlugin(NAME, '0.1.0', (m) => {
      m.permissions = {};
    });
    const clash = await uploadPlugin(t.api, token, changed.tarball);
    expect(clash.status).to.equal(409);
    expect(clash.body.code).to.equal('plugin_version_exists');
  });

  it('lets editors use tools but only install admins upload and workspace admins enable plugins', async () => {
    const editor = await addMember(t.api, token, 'ed@example.com', 'editor');
    const upload = await uploadPlugin(t.api, editor.token, v1.tarball);
    expect(upload.status).to.equal(403);
    expect(upload.body.code).to.equal('install_permission_required');
    await uploadPlugin(t.api, token, v1.tarball);
    expect((await t.api('POST', path('/enable'), { token: editor.token, body: {} })).status).to.equal(403);
    await t.api('POST', path('/enable'), { token, body: {} });
    expect((await invoke('echo', {}, editor.token)).status).to.equal(200);
  });
});
