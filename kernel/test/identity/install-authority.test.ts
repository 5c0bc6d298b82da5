import { expect } from 'chai';
import { cpSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_ROUTE_POLICY, levelOf } from '../../src/http/route-policy.js';
import { TEST_ROOT } from '../support/env.js';
import { addMember, login, openWorkspaceCreation, setupOwner, startKernel, type ApiClient, type TestKernel } from '../support/kernel.js';
import { generatePublisherKeyPair, signPackage, tarballIntegrity } from '@tessera/sdk/publishing';
import { buildProbePlugin, uploadPlugin, type BuiltPlugin } from '../support/plugins.js';

async function uploadSigned(api: ApiClient, token: string, plugin: BuiltPlugin, privateKeyPem: string) {
  const form = new FormData();
  form.append('signature', JSON.stringify(signPackage(privateKeyPem, plugin.name, plugin.version, tarballIntegrity(plugin.tarball))));
  form.append('file', new Blob([new Uint8Array(plugin.tarball)], { type: 'application/gzip' }), 'plugin.tgz');
  return api('POST', '/console/api/plugins/upload', { token, form });
}

/** A member of the owner's workspace who then creates and switches to a workspace of their own. */
async function memberWithOwnWorkspace(api: ApiClient, ownerToken: string, email: string, role = 'normal') {
  const { token } = await addMember(api, ownerToken, email, role);
  const created = await api('POST', '/console/api/workspaces', { token, body: { name: `${email}'s own` } });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  await api('POST', '/console/api/workspaces/switch', { token, body: { tenant_id: created.body.id } });
  return { token, workspaceId: created.body.id as string };
}

/**
 * Issue #13, holes 1 and 3: authority over the whole install is not a workspace
 * role. Mallory is a `normal` member of Olive's workspace who created a workspace
 * of her own (so she is its owner); nothing install-wide may follow from that.
 */
describe('install-level authority', () => {
  let t: TestKernel;
  let olive: string;
  let firstParty: BuiltPlugin;

  before(async () => {
    // A first-party plugin, shipped with the install as the bundled ones are.
    firstParty = await buildProbePlugin('@tessera/probe', '0.1.0');
    const bundled = mkdtempSync(join(TEST_ROOT, 'bundled-'));
    cpSync(firstParty.dir, join(bundled, 'probe'), { recursive: true });
    t = await startKernel({ env: { BUNDLED_PLUGINS_DIR: bundled } });
    ({ token: olive } = await setupOwner(t.api));
    await openWorkspaceCreation(t.api, olive);
  });
  after(() => t.stop());

  it('refuses a plugin upload from a workspace owner who is not an install admin, so a first-party plugin cannot be replaced for everyone', async () => {
    const mallory = await memberWithOwnWorkspace(t.api, olive, 'mallory@example.com');
    const evil = await buildProbePlugin('@tessera/probe', '0.2.0');
    const res = await uploadPlugin(t.api, mallory.token, evil.tarball);
    expect(res.status, JSON.stringify(res.body)).to.equal(403);
    expect(res.body.code).to.equal('install_permission_required');
    const offered = await t.api('GET', '/console/api/plugins/%40tessera%2Fprobe', { token: olive });
    expect(offered.body.installed_versions).to.deep.equal(['0.1.0']);
    // Nor an unsigned package under a new name: uploads are install-wide code.
    const other = await buildProbePlugin('@mallory/thing', '1.0.0');
    expect((await uploadPlugin(t.api, mallory.token, other.tarball)).status).to.equal(403);
  });

  it('refuses an install admin’s unsigned upload under a first-party name: it would shadow the signed one', async () => {
    const shadow = await buildProbePlugin('@tessera/probe', '0.3.0');
    const res = await uploadPlugin(t.api, olive, shadow.tarball);
    expect(res.status, JSON.stringify(res.body)).to.equal(409);
    expect(res.body.code).to.equal('plugin_name_owned');
    const detail = await t.api('GET', '/console/api/plugins/%40tessera%2Fprobe', { token: olive });
    expect(detail.body.installed_versions).to.deep.equal(['0.1.0']);
    expect(detail.body).to.include({ signer: 'first-party', publisher: 'Tessera (first-party)', signed: true });
    // A new first-party name cannot be taken by an upload either.
    expect((await uploadPlugin(t.api, olive, (await buildProbePlugin('@tessera/not-shipped', '1.0.0')).tarball)).body.code).to.equal('plugin_name_owned');
  });

  it('lets a trusted publisher’s signed upload own its name: unsigned or otherwise-signed versions are refused after it', async () => {
    const alice = generatePublisherKeyPair();
    const other = generatePublisherKeyPair();
    const trusted = await t.api('POST', '/console/api/marketplace/publishers', { token: olive, body: { public_key: alice.publicKey, name: 'Alice Tools' } });
    expect(trusted.status).to.equal(201);
    await t.api('POST', '/console/api/marketplace/publishers', { token: olive, body: { public_key: other.publicKey, name: 'Other' } });
    const v1 = await buildProbePlugin('@alice/search', '1.0.0');
    const signed = await uploadSigned(t.api, olive, v1, alice.privateKeyPem);
    expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
    expect(signed.body.plugin.signer).to.equal(trusted.body.keyid);
    const unsigned = await uploadPlugin(t.api, olive, (await buildProbePlugin('@alice/search', '9.0.0')).tarball);
    expect(unsigned.body.code).to.equal('plugin_name_owned');
    const wrongKey = await uploadSigned(t.api, olive, await buildProbePlugin('@alice/search', '9.0.1'), other.privateKeyPem);
    expect(wrongKey.body.code).to.equal('plugin_name_owned');
    // A signature over other contents is refused outright.
    const v2 = await buildProbePlugin('@alice/search', '1.1.0');
    const form = new FormData();
    form.append('signature', JSON.stringify(signPackage(alice.privateKeyPem, v2.name, v2.version, tarballIntegrity(v1.tarball))));
    form.append('file', new Blob([new Uint8Array(v2.tarball)]), 'plugin.tgz');
    expect((await t.api('POST', '/console/api/plugins/upload', { token: olive, form })).body.code).to.equal('signature_invalid');
    const next = await uploadSigned(t.api, olive, v2, alice.privateKeyPem);
    expect(next.status).to.equal(201);
    const detail = await t.api('GET', '/console/api/plugins/%40alice%2Fsearch', { token: olive });
    expect(detail.body.versions.map((v: { version: string; publisher: string }) => `${v.version} ${v.publisher}`)).to.deep.equal(['1.1.0 Alice Tools', '1.0.0 Alice Tools']);
  });

  it('keeps a workspace on the version it enabled, offering the newer one with its publisher until its admin upgrades', async () => {
    await uploadPlugin(t.api, olive, (await buildProbePlugin('@olive/tool', '1.0.0')).tarball);
    expect((await t.api('POST', '/console/api/plugins/%40olive%2Ftool/enable', { token: olive, body: { granted_permissions: {} } })).status).to.equal(200);
    await uploadPlugin(t.api, olive, (await buildProbePlugin('@olive/tool', '1.1.0')).tarball);
    const echo = () => t.api('POST', '/console/api/tools/%40olive%2Ftool/echo/invoke', { token: olive, body: { arguments: {} } });
    expect((await echo()).body.result.version).to.equal('1.0.0');
    const detail = await t.api('GET', '/console/api/plugins/%40olive%2Ftool', { token: olive });
    expect(detail.body.upgrade_available).to.deep.equal({ version: '1.1.0', signer: null, publisher: null, signed: false, source: 'upload' });
    expect((await t.api('POST', '/console/api/plugins/%40olive%2Ftool/upgrade', { token: olive, body: {} })).status).to.equal(200);
    expect((await echo()).body.result.version).to.equal('1.1.0');
    expect((await t.api('GET', '/console/api/plugins/%40olive%2Ftool', { token: olive })).body.upgrade_available).to.equal(null);
  });

  it('refuses to set allow_unsigned or trust a publisher key from a workspace a normal member created', async () => {
    const { token } = await memberWithOwnWorkspace(t.api, olive, 'nora@example.com');
    const allow = await t.api('PUT', '/console/api/marketplace/settings', { token, body: { allow_unsigned: true } });
    expect(allow.status).to.equal(403);
    expect(allow.body.code).to.equal('install_permission_required');
    const trust = await t.api('POST', '/console/api/marketplace/publishers', { token, body: { public_key: Buffer.alloc(32, 7).toString('base64'), name: 'Nora' } });
    expect(trust.status).to.equal(403);
    expect((await t.api('GET', '/console/api/marketplace/settings', { token: olive })).body).to.deep.equal({ allow_unsigned: false });
    const keys = (await t.api('GET', '/console/api/marketplace/publishers', { token: olive })).body.data.map((p: { name: string }) => p.name);
    expect(keys).to.not.include('Nora');
  });

  it('lets the install owner appoint an install admin, who then may do install actions from any workspace', async () => {
    const { token: ivan } = await memberWithOwnWorkspace(t.api, olive, 'ivan@example.com', 'editor');
    expect((await t.api('GET', '/console/api/system/settings', { token: ivan })).status).to.equal(403);
    const accounts = await t.api('GET', '/console/api/system/accounts', { token: olive });
    expect(accounts.status).to.equal(200);
    const ivanId = accounts.body.data.find((a: { email: string }) => a.email === 'ivan@example.com').id;
    expect(accounts.body.data.find((a: { email: string }) => a.email === 'owner@example.com').install_role).to.equal('owner');
    const appoint = await t.api('PUT', `/console/api/system/accounts/${ivanId}/install-role`, { token: olive, body: { install_role: 'admin' } });
    expect(appoint.status, JSON.stringify(appoint.body)).to.equal(200);
    expect((await t.api('GET', '/console/api/system/settings', { token: ivan })).status).to.equal(200);
    const pkg = await buildProbePlugin('@ivan/tool', '1.0.0');
    expect((await uploadPlugin(t.api, ivan, pkg.tarball)).status).to.equal(201);
    // An admin cannot appoint others or touch the owner: that is the owner's.
    const ownerId = accounts.body.data.find((a: { email: string }) => a.email === 'owner@example.com').id;
    expect((await t.api('PUT', `/console/api/system/accounts/${ownerId}/install-role`, { token: ivan, body: { install_role: null } })).status).to.equal(403);
    // Removed again, the workspace roles he still has give him nothing install-wide.
    expect((await t.api('PUT', `/console/api/system/accounts/${ivanId}/install-role`, { token: olive, body: { install_role: null } })).status).to.equal(200);
    expect((await t.api('GET', '/console/api/system/settings', { token: ivan })).status).to.equal(403);
  });

  it('limits workspace creation to install admins unless the install opens it', async () => {
    const { token: wendy } = await addMember(t.api, olive, 'wendy@example.com', 'admin');
    expect((await t.api('PUT', '/console/api/system/settings', { token: olive, body: { workspace_creation: 'admins_only' } })).body).to.deep.equal({ workspace_creation: 'admins_only' });
    const refused = await t.api('POST', '/console/api/workspaces', { token: wendy, body: { name: 'Side project' } });
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal('workspace_creation_restricted');
    expect((await t.api('POST', '/console/api/workspaces', { token: olive, body: { name: 'Admins may' } })).status).to.equal(201);
    expect((await t.api('PUT', '/console/api/system/settings', { token: olive, body: { workspace_creation: 'anyone' } })).status).to.equal(400);
    await openWorkspaceCreation(t.api, olive);
    expect((await t.api('POST', '/console/api/workspaces', { token: wendy, body: { name: 'Side project' } })).status).to.equal(201);
  });

  it('answers every install-level console route with 403 for a workspace owner who is not an install admin', async () => {
    const { token } = await memberWithOwnWorkspace(t.api, olive, 'eve@example.com', 'admin');
    const installRoutes = Object.entries(CONSOLE_ROUTE_POLICY).filter(([, policy]) => levelOf(policy) === 'install');
    expect(installRoutes.length).to.be.greaterThan(5);
    for (const [key] of installRoutes) {
      const [method, path] = key.split(' ') as [string, string];
      const concrete = path.replace(/:[a-z_]+/g, '00000000-0000-4000-8000-000000000000');
      const res = await t.api(method, `/console/api${concrete}`, { token, ...(method === 'GET' ? {} : { body: {} }) });
      expect(res.status, `${key} answered ${res.status} ${JSON.stringify(res.body)}`).to.equal(403);
      expect(res.body.code, key).to.equal('install_permission_required');
    }
  });

  it('declares the actions the issue names as install-level in the route table', () => {
    for (const key of ['POST /plugins/upload', 'GET /marketplace/publishers', 'POST /marketplace/publishers', 'DELETE /marketplace/publishers/:keyid', 'PUT /marketplace/settings', 'PUT /system/settings', 'PUT /system/accounts/:account_id/install-role']) {
      expect(levelOf(CONSOLE_ROUTE_POLICY[key]!), key).to.equal('install');
    }
    for (const key of ['POST /plugins/:name/enable', 'PUT /plugins/:name/secrets', 'POST /apps', 'POST /workspaces/current/members/invite-email']) {
      expect(levelOf(CONSOLE_ROUTE_POLICY[key]!), key).to.equal('workspace');
    }
  });

  it('tells each caller its own authority: workspace role and permissions, install role, and whether it may create a workspace', async () => {
    const { token: norm } = await addMember(t.api, olive, 'norm@example.com', 'normal');
    await t.api('PUT', '/console/api/system/settings', { token: olive, body: { workspace_creation: 'admins_only' } });
    const mine = await t.api('GET', '/console/api/account/authority', { token: olive });
    expect(mine.body).to.include({ role: 'owner', install_role: 'owner', can_create_workspace: true });
    expect(mine.body.install_permissions).to.include.members(['install.plugins', 'install.admins']);
    const his = await t.api('GET', '/console/api/account/authority', { token: norm });
    expect(his.body).to.include({ role: 'normal', install_role: null, can_create_workspace: false });
    expect(his.body.install_permissions).to.deep.equal([]);
    expect(his.body.permissions).to.include('apps.view').and.not.include('apps.edit');
    await openWorkspaceCreation(t.api, olive);
    expect((await t.api('GET', '/console/api/account/authority', { token: norm })).body.can_create_workspace).to.equal(true);
  });

  it('refuses to make a second install owner', async () => {
    const accounts = await t.api('GET', '/console/api/system/accounts', { token: olive });
    const someone = accounts.body.data.find((a: { install_role: string | null }) => a.install_role === null).id;
    const res = await t.api('PUT', `/console/api/system/accounts/${someone}/install-role`, { token: olive, body: { install_role: 'owner' } });
    expect(res.status).to.equal(400);
    const again = await login(t.api, 'owner@example.com', 'correct-horse-1');
    expect((await t.api('GET', '/console/api/system/settings', { token: again.token })).status).to.equal(200);
  });
});
