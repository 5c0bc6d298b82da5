import { expect } from 'chai';
import { addMember, openWorkspaceCreation, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';

describe('workspace members and roles', () => {
  let t: TestKernel;
  let owner: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(async () => {
    t = await startKernel();
    ({ token: owner } = await setupOwner(t.api));
    for (const role of ['admin', 'editor', 'normal', 'dataset_operator']) {
      tokens[role] = (await addMember(t.api, owner, `${role}@example.com`, role)).token;
    }
    const members = await t.api('GET', '/console/api/workspaces/current/members', { token: owner });
    for (const m of members.body.accounts) ids[m.role] = m.id;
  });
  after(() => t.stop());

  it('invites a new email: pending account, activation link, then login lands in the inviting workspace', async () => {
    const members = await t.api('GET', '/console/api/workspaces/current/members', { token: owner });
    expect(members.body.accounts.map((m: { role: string }) => m.role).sort()).to.deep.equal(['admin', 'dataset_operator', 'editor', 'normal', 'owner']);
    const current = await t.api('GET', '/console/api/workspaces/current', { token: tokens.editor });
    const ownerCurrent = await t.api('GET', '/console/api/workspaces/current', { token: owner });
    expect(current.body.id).to.equal(ownerCurrent.body.id);
    expect(current.body.role).to.equal('editor');
  });

  it('refuses an activation token twice', async () => {
    const invite = await t.api('POST', '/console/api/workspaces/current/members/invite-email', { token: owner, body: { emails: ['twice@example.com'], role: 'normal' } });
    const token = new URL(invite.body.invitation_results[0].url, 'http://x').searchParams.get('token');
    expect((await t.api('GET', `/console/api/activate/check?token=${token}`)).body.data.email).to.equal('twice@example.com');
    expect((await t.api('POST', '/console/api/activate', { body: { token, name: 'Tw', password: 'twice-pass-1' } })).status).to.equal(200);
    const again = await t.api('POST', '/console/api/activate', { body: { token, name: 'Tw', password: 'twice-pass-2' } });
    expect(again.status).to.equal(400);
    expect(again.body.code).to.equal('invalid_invitation');
  });

  it('invites an existing account: it joins only when it accepts the invitation, signed in', async () => {
    await openWorkspaceCreation(t.api, owner);
    const other = await t.api('POST', '/console/api/workspaces', { token: tokens.editor, body: { name: 'Editor Lab' } });
    expect(other.status).to.equal(201);
    // The owner of the first workspace is an existing account; the editor invites them to the lab.
    const lab = await t.api('POST', '/console/api/workspaces/current/members/invite-email', { token: tokens.editor, headers: { 'X-Workspace-Id': other.body.id }, body: { emails: ['owner@example.com'], role: 'normal' } });
    expect(lab.status).to.equal(201);
    expect(lab.body.invitation_results[0]).to.include({ status: 'success', email: 'owner@example.com' });
    const names = async () => (await t.api('GET', '/console/api/workspaces', { token: owner })).body.workspaces.map((w: { name: string }) => w.name);
    expect(await names()).to.not.include('Editor Lab');
    const token = new URL(lab.body.invitation_results[0].url, 'http://x').searchParams.get('token');
    expect((await t.api('GET', `/console/api/activate/check?token=${token}`)).body.data).to.include({ email: 'owner@example.com', account_exists: true });
    const accepted = await t.api('POST', '/console/api/invitations/accept', { token: owner, body: { token } });
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
    expect(accepted.body.workspace).to.include({ name: 'Editor Lab', role: 'normal' });
    expect(await names()).to.include('Editor Lab');
    // Accepting switched the owner to the lab; the tests below act in the first workspace.
    const first = (await t.api('GET', '/console/api/workspaces', { token: owner })).body.workspaces.find((w: { name: string }) => w.name !== 'Editor Lab');
    await t.api('POST', '/console/api/workspaces/switch', { token: owner, body: { tenant_id: first.id } });
  });

  const forbidden: Array<[string, string, string, unknown?]> = [
    ['normal', 'POST', '/console/api/workspaces/current/members/invite-email', { emails: ['x@example.com'], role: 'normal' }],
    ['editor', 'POST', '/console/api/workspaces/current/members/invite-email', { emails: ['x@example.com'], role: 'normal' }],
    ['normal', 'POST', '/console/api/apps', { name: 'A', mode: 'chat' }],
    ['dataset_operator', 'GET', '/console/api/apps'],
    ['editor', 'GET', '/console/api/datasets/api-keys'],
    ['normal', 'PATCH', '/console/api/workspaces/current', { name: 'Renamed' }],
  ];
  for (const [role, method, path, body] of forbidden) {
    it(`refuses ${role} on ${method} ${path.replace('/console/api', '')} with 403 no_permission`, async () => {
      const res = await t.api(method, path, { token: tokens[role], body });
      expect(res.status).to.equal(403);
      expect(res.body.code).to.equal('no_permission');
    });
  }

  it('lets each role do what it is for', async () => {
    expect((await t.api('POST', '/console/api/apps', { token: tokens.editor, body: { name: 'Ed app', mode: 'chat' } })).status).to.equal(201);
    expect((await t.api('GET', '/console/api/apps', { token: tokens.normal })).status).to.equal(200);
    expect((await t.api('POST', '/console/api/datasets/api-keys', { token: tokens.admin })).status).to.equal(201);
    expect((await t.api('GET', '/console/api/workspaces/current/members', { token: tokens.dataset_operator })).status).to.equal(200);
  });

  it('changes a role and the new role applies on the next request', async () => {
    const change = await t.api('PUT', `/console/api/workspaces/current/members/${ids.normal}/update-role`, { token: owner, body: { role: 'editor' } });
    expect(change.status).to.equal(200);
    expect((await t.api('POST', '/console/api/apps', { token: tokens.normal, body: { name: 'Now allowed', mode: 'completion' } })).status).to.equal(201);
    await t.api('PUT', `/console/api/workspaces/current/members/${ids.normal}/update-role`, { token: owner, body: { role: 'normal' } });
    expect((await t.api('POST', '/console/api/apps', { token: tokens.normal, body: { name: 'Not again', mode: 'chat' } })).status).to.equal(403);
  });

  it('protects the owner and admins: admins cannot touch the owner, make admins, or change themselves', async () => {
    const onOwner = await t.api('PUT', `/console/api/workspaces/current/members/${ids.owner}/update-role`, { token: tokens.admin, body: { role: 'normal' } });
    expect(onOwner.body.code).to.equal('cannot_operate_owner');
    const makeAdmin = await t.api('PUT', `/console/api/workspaces/current/members/${ids.editor}/update-role`, { token: tokens.admin, body: { role: 'admin' } });
    expect(makeAdmin.body.code).to.equal('no_permission');
    const self = await t.api('DELETE', `/console/api/workspaces/current/members/${ids.admin}`, { token: tokens.admin });
    expect(self.body.code).to.equal('cannot_operate_self');
    const badRole = await t.api('PUT', `/console/api/workspaces/current/members/${ids.editor}/update-role`, { token: owner, body: { role: 'emperor' } });
    expect(badRole.status).to.equal(400);
    expect(badRole.body.params).to.equal('role');
  });

  it('removes a member, who then cannot act in the workspace', async () => {
    const removed = await t.api('DELETE', `/console/api/workspaces/current/members/${ids.dataset_operator}`, { token: tokens.admin });
    expect(removed.status).to.equal(200);
    const after = await t.api('GET', '/console/api/workspaces/current/members', { token: tokens.dataset_operator });
    expect(after.status).to.equal(403);
    expect(after.body.code).to.equal('no_workspace');
    // They can still log in; they just have no workspace to act in.
    const again = await t.api('POST', '/console/api/login', { body: { email: 'dataset_operator@example.com', password: 'member-pass-1' } });
    expect(again.status).to.equal(200);
    const none = await t.api('GET', '/console/api/apps', { token: again.body.data.access_token });
    expect(none.body.code).to.equal('no_workspace');
  });
});
