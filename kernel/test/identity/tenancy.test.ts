import { expect } from 'chai';
import { addMember, openWorkspaceCreation, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { DatabaseRef } from '../../src/services.js';

/**
 * Two workspaces on one install. Bob owns workspace B and is not a member of A:
 * nothing he does may read or change A's data.
 */
describe('tenant isolation', () => {
  let t: TestKernel;
  let alice: string;
  let bob: string;
  let wsA: string;
  let wsB: string;
  let appA: string;
  let appKeyA: { id: string; token: string };
  let datasetKeyA: { id: string; token: string };

  before(async () => {
    t = await startKernel();
    ({ token: alice, workspaceId: wsA } = await setupOwner(t.api));
    await openWorkspaceCreation(t.api, alice);
    // Bob joins A as an editor to get an account, creates B, then is removed from A.
    const b = await addMember(t.api, alice, 'bob@example.com', 'editor');
    bob = b.token;
    wsB = (await t.api('POST', '/console/api/workspaces', { token: bob, body: { name: 'B' } })).body.id;
    await t.api('POST', '/console/api/workspaces/switch', { token: bob, body: { tenant_id: wsB } });
    const members = await t.api('GET', '/console/api/workspaces/current/members', { token: alice });
    const bobId = members.body.accounts.find((m: { email: string }) => m.email === 'bob@example.com').id;
    expect((await t.api('DELETE', `/console/api/workspaces/current/members/${bobId}`, { token: alice })).status).to.equal(200);

    appA = (await t.api('POST', '/console/api/apps', { token: alice, body: { name: 'Secret app', mode: 'chat' } })).body.id;
    appKeyA = (await t.api('POST', `/console/api/apps/${appA}/api-keys`, { token: alice })).body;
    datasetKeyA = (await t.api('POST', '/console/api/datasets/api-keys', { token: alice })).body;
  });
  after(() => t.stop());

  it('lists only the caller workspace’s apps', async () => {
    await t.api('POST', '/console/api/apps', { token: bob, body: { name: 'Bob app', mode: 'completion' } });
    const mine = await t.api('GET', '/console/api/apps', { token: bob });
    expect(mine.body.data.map((a: { name: string }) => a.name)).to.deep.equal(['Bob app']);
    const hers = await t.api('GET', '/console/api/apps', { token: alice });
    expect(hers.body.data.map((a: { name: string }) => a.name)).to.deep.equal(['Secret app']);
  });

  it('answers 404 for another workspace’s app, its keys, and refuses to delete them', async () => {
    expect((await t.api('GET', `/console/api/apps/${appA}`, { token: bob })).status).to.equal(404);
    expect((await t.api('GET', `/console/api/apps/${appA}/api-keys`, { token: bob })).status).to.equal(404);
    expect((await t.api('POST', `/console/api/apps/${appA}/api-keys`, { token: bob })).status).to.equal(404);
    expect((await t.api('DELETE', `/console/api/apps/${appA}/api-keys/${appKeyA.id}`, { token: bob })).status).to.equal(404);
    expect((await t.api('DELETE', `/console/api/apps/${appA}`, { token: bob })).status).to.equal(404);
    expect((await t.api('GET', `/console/api/apps/${appA}`, { token: alice })).status).to.equal(200);
  });

  it('never shows or revokes another workspace’s dataset keys', async () => {
    const list = await t.api('GET', '/console/api/datasets/api-keys', { token: bob });
    expect(list.body.data).to.deep.equal([]);
    const revoke = await t.api('DELETE', `/console/api/datasets/api-keys/${datasetKeyA.id}`, { token: bob });
    expect(revoke.status).to.equal(404);
    expect((await t.api('GET', '/console/api/datasets/api-keys', { token: alice })).body.data).to.have.length(1);
  });

  it('refuses to switch to, or act in, a workspace the caller is not a member of', async () => {
    const sw = await t.api('POST', '/console/api/workspaces/switch', { token: bob, body: { tenant_id: wsA } });
    expect(sw.status).to.equal(403);
    expect(sw.body.code).to.equal('workspace_forbidden');
    const viaHeader = await t.api('GET', '/console/api/apps', { token: bob, headers: { 'X-Workspace-Id': wsA } });
    expect(viaHeader.status).to.equal(403);
    const members = await t.api('GET', '/console/api/workspaces/current/members', { token: bob });
    expect(members.body.accounts.map((m: { email: string }) => m.email)).to.deep.equal(['bob@example.com']);
  });

  it('resolves an app key to its own app only, and shows the key once', async () => {
    expect(appKeyA.token).to.match(/^app-[\w-]{24}$/);
    const info = await t.api('GET', '/v1/info', { token: appKeyA.token });
    expect(info.status).to.equal(200);
    expect(info.body).to.deep.equal({ name: 'Secret app', description: '', tags: [], mode: 'chat', author_name: '' });
    const listed = await t.api('GET', `/console/api/apps/${appA}/api-keys`, { token: alice });
    expect(listed.body.data[0].token).to.not.equal(appKeyA.token);
    expect(listed.body.data[0].token).to.match(/^app-.{4}….{4}$/);
  });

  it('refuses a dataset key on app endpoints, revoked keys and unknown keys with 401', async () => {
    const wrongType = await t.api('GET', '/v1/info', { token: datasetKeyA.token });
    expect(wrongType.status).to.equal(401);
    const temp = (await t.api('POST', `/console/api/apps/${appA}/api-keys`, { token: alice })).body;
    expect((await t.api('GET', '/v1/info', { token: temp.token })).status).to.equal(200);
    expect((await t.api('DELETE', `/console/api/apps/${appA}/api-keys/${temp.id}`, { token: alice })).status).to.equal(204);
    const revoked = await t.api('GET', '/v1/info', { token: temp.token });
    expect(revoked.status).to.equal(401);
    expect(revoked.headers.get('www-authenticate')).to.equal('Bearer realm="api"');
    expect((await t.api('GET', '/v1/info', { token: 'app-unknownunknownunknown' })).status).to.equal(401);
  });

  it('keeps workspace ids on every tenant row', async () => {
    const { knex } = t.kernel.get(DatabaseRef);
    for (const table of ['apps', 'api_keys', 'workspace_members', 'invitations']) {
      const nulls = await knex(table).whereNull('workspace_id').count({ n: '*' }).first();
      expect(Number(nulls?.n), table).to.equal(0);
    }
    const keyRows = await knex('api_keys').select('workspace_id');
    expect(new Set(keyRows.map((r) => r.workspace_id))).to.deep.equal(new Set([wsA]));
    expect(wsB).to.not.equal(wsA);
  });
});
