import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';
import { DatabaseRef } from '../../src/services.js';

/**
 * What a plugin can never do, proved through the console API against a real
 * kernel: every refusal below is the sandbox or the capability bridge at work.
 */
describe('plugin sandbox and capability bridge', () => {
  let t: TestKernel;
  let token: string;
  let probe: BuiltPlugin;
  let other: BuiltPlugin;
  let server: Server;
  let port: number;
  let hits: string[];

  before(async () => {
    [probe, other] = await Promise.all([buildProbePlugin('@test/probe'), buildProbePlugin('@test/other')]);
    hits = [];
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/to-metadata') res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (req.url === '/to-undeclared') res.writeHead(302, { Location: 'http://evil.example.com/' }).end();
      else res.end('hello from the local server');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
    await uploadPlugin(t.api, token, probe.tarball);
    await uploadPlugin(t.api, token, other.tarball);
  });
  afterEach(() => t.stop());

  const enable = (name: string, grants: unknown, as = token) => t.api('POST', `/console/api/plugins/${encodeURIComponent(name)}/enable`, { token: as, body: { granted_permissions: grants } });
  const invoke = (name: string, tool: string, args: unknown = {}, as = token) => t.api('POST', `/console/api/tools/${encodeURIComponent(name)}/${tool}/invoke`, { token: as, body: { arguments: args } });

  it('cannot read the filesystem or environment: no process, require, Buffer or global fetch, and no way to the host Function', async () => {
    await enable('@test/probe', {});
    const res = await invoke('@test/probe', 'escape');
    expect(res.body.result).to.deep.equal({ process: 'undefined', require: 'undefined', fetch: 'undefined', Buffer: 'undefined', constructorEscape: 'undefined' });
  });

  it('cannot fetch when no network access was granted', async () => {
    await enable('@test/probe', {});
    const res = await invoke('@test/probe', 'fetch', { url: `http://127.0.0.1:${port}/` });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('plugin_permission_denied');
  });

  it('cannot reach a host that was not granted', async () => {
    await enable('@test/probe', { network: { hosts: ['api.example.test'] } });
    const res = await invoke('@test/probe', 'fetch', { url: 'http://evil.example.com/' });
    expect(res.status).to.equal(403);
    expect(res.body.message).to.contain('evil.example.com');
  });

  it('cannot reach 127.0.0.1 even when granted, unless an admin allow-lists that address', async () => {
    await enable('@test/probe', { network: { hosts: ['127.0.0.1'] } });
    const refused = await invoke('@test/probe', 'fetch', { url: `http://127.0.0.1:${port}/` });
    expect(refused.status).to.equal(403);
    expect(hits).to.deep.equal([]);
    await enable('@test/probe', { network: { hosts: ['127.0.0.1'] }, allow_private: [`127.0.0.1:${port}`] });
    const allowed = await invoke('@test/probe', 'fetch', { url: `http://127.0.0.1:${port}/` });
    expect(allowed.status).to.equal(200);
    expect(allowed.body.result).to.deep.equal({ status: 200, body: 'hello from the local server' });
  });

  it('cannot reach 169.254.169.254 directly or through a redirect from an allowed server', async () => {
    await enable('@test/probe', { network: { hosts: ['127.0.0.1'] }, allow_private: [`127.0.0.1:${port}`] });
    const direct = await invoke('@test/probe', 'fetch', { url: 'http://169.254.169.254/latest/meta-data/' });
    expect(direct.status).to.equal(403);
    const redirected = await invoke('@test/probe', 'fetch', { url: `http://127.0.0.1:${port}/to-metadata` });
    expect(redirected.status).to.equal(403);
    expect(redirected.body.message).to.contain('169.254.169.254');
    const undeclared = await invoke('@test/probe', 'fetch', { url: `http://127.0.0.1:${port}/to-undeclared` });
    expect(undeclared.status).to.equal(403);
    expect(undeclared.body.message).to.contain('evil.example.com');
  });

  it('cannot read another plugin’s kv or secrets', async () => {
    await enable('@test/probe', {});
    await enable('@test/other', {});
    await invoke('@test/probe', 'kv-set', { key: 'shared-name', value: 'probe-only' });
    await t.api('PUT', `/console/api/plugins/${encodeURIComponent('@test/probe')}/secrets`, { token, body: { secrets: { api_key: 'sk-probe' } } });
    expect((await invoke('@test/other', 'kv-get', { key: 'shared-name' })).body.result.value).to.equal(null);
    expect((await invoke('@test/other', 'secret', { name: 'api_key' })).body.result.value).to.equal(null);
    expect((await invoke('@test/probe', 'kv-get', { key: 'shared-name' })).body.result.value).to.equal('probe-only');
    expect((await invoke('@test/probe', 'secret', { name: 'api_key' })).body.result.value).to.equal('sk-probe');
  });

  it('cannot read the same plugin’s kv or secrets of another workspace', async () => {
    await enable('@test/probe', {});
    await invoke('@test/probe', 'kv-set', { key: 'k', value: 'workspace one' });
    await t.api('PUT', `/console/api/plugins/${encodeURIComponent('@test/probe')}/secrets`, { token, body: { secrets: { api_key: 'sk-one' } } });
    const created = await t.api('POST', '/console/api/workspaces', { token, body: { name: 'Second' } });
    const headers = { 'X-Workspace-Id': created.body.id as string };
    await t.api('POST', `/console/api/plugins/${encodeURIComponent('@test/probe')}/enable`, { token, headers, body: {} });
    const kv = await t.api('POST', `/console/api/tools/${encodeURIComponent('@test/probe')}/kv-get/invoke`, { token, headers, body: { arguments: { key: 'k' } } });
    const secret = await t.api('POST', `/console/api/tools/${encodeURIComponent('@test/probe')}/secret/invoke`, { token, headers, body: { arguments: { name: 'api_key' } } });
    expect(kv.body.result.value).to.equal(null);
    expect(secret.body.result.value).to.equal(null);
  });

  it('stores credentials encrypted, never in plain text', async () => {
    await enable('@test/probe', {});
    await t.api('PUT', `/console/api/plugins/${encodeURIComponent('@test/probe')}/secrets`, { token, body: { secrets: { api_key: 'sk-very-secret-value' } } });
    const rows = (await t.kernel.get(DatabaseRef).knex('plugin_secrets').select('sealed')) as Array<{ sealed: string }>;
    expect(rows).to.have.length(1);
    expect(rows[0]!.sealed).to.match(/^v1\./).and.not.contain('sk-very-secret-value');
    const undeclared = await t.api('PUT', `/console/api/plugins/${encodeURIComponent('@test/probe')}/secrets`, { token, body: { secrets: { password: 'x' } } });
    expect(undeclared.status).to.equal(400);
    expect(undeclared.body.params).to.equal('secrets.password');
  });

  it('enforces the kv quota the manifest asked for', async () => {
    await enable('@test/probe', {});
    const big = 'x'.repeat(3000);
    expect((await invoke('@test/probe', 'kv-set', { key: 'a', value: big })).status).to.equal(200);
    const over = await invoke('@test/probe', 'kv-set', { key: 'b', value: big });
    expect(over.status).to.equal(429);
    expect(over.body.code).to.equal('plugin_quota_exceeded');
  });

  it('invokes another plugin’s model provider through ctx.models only when granted, with the workspace’s provider credentials', async () => {
    const added = await t.api('POST', `/console/api/workspaces/current/model-providers/${encodeURIComponent('@test/other/words')}/credentials`, { token, body: { credentials: { prefix: 'other says: ' } } });
    expect(added.status).to.equal(201);
    await enable('@test/probe', {});
    const refused = await invoke('@test/probe', 'ask', { provider: '@test/other/words', question: 'hello there' });
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal('plugin_permission_denied');
    await enable('@test/probe', { models: true });
    const answered = await invoke('@test/probe', 'ask', { provider: '@test/other/words', question: 'hello there' });
    expect(answered.status).to.equal(200);
    expect(answered.body.result).to.deep.equal({ text: 'other says: hello there', chunks: 5 });
    const missing = await invoke('@test/probe', 'ask', { provider: 'nobody/words', question: 'x' });
    expect(missing.body.code).to.equal('plugin_not_found');
  });

  it('gets only the model types its manifest asked for', async () => {
    const embedOnly = await buildProbePlugin('@test/embed-only', '0.1.0', (m) => {
      (m.permissions as Record<string, unknown>).models = { types: ['text-embedding'] };
    });
    await uploadPlugin(t.api, token, embedOnly.tarball);
    await t.api('POST', `/console/api/workspaces/current/model-providers/${encodeURIComponent('@test/other/words')}/credentials`, { token, body: { credentials: {} } });
    await enable('@test/embed-only', { models: true });
    const res = await invoke('@test/embed-only', 'ask', { provider: '@test/other/words', question: 'hi' });
    expect(res.status).to.equal(403);
    expect(res.body.message).to.contain('text-embedding only');
  });
});
