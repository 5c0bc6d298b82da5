import { expect } from 'chai';
import { addMember, login, openWorkspaceCreation, setupOwner, startKernel, type ApiClient, type TestKernel } from '../support/kernel.js';
import { SmtpTestServer } from '../support/smtp.js';

const tokenOf = (url: string) => new URL(url, 'http://x').searchParams.get('token')!;

async function invite(api: ApiClient, token: string, email: string, role = 'normal', workspaceId?: string) {
  const res = await api('POST', '/console/api/workspaces/current/members/invite-email', { token, body: { emails: [email], role }, ...(workspaceId ? { headers: { 'X-Workspace-Id': workspaceId } } : {}) });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.invitation_results[0] as { status: string; email: string; url?: string; message?: string };
}

/**
 * Issue #13, hole 2: an invitation is bound to its invitee. Bruno owns workspace
 * B; Alma owns workspace A. Neither can make an account join the other's
 * workspace, nor join it himself through an address he does not control.
 */
describe('invitations bound to the invitee', () => {
  let t: TestKernel;
  let alma: string;
  let wsA: string;
  let bruno: string;
  let wsB: string;

  before(async () => {
    t = await startKernel();
    ({ token: alma, workspaceId: wsA } = await setupOwner(t.api));
    await openWorkspaceCreation(t.api, alma);
    // Bruno has an account (a member of A who left) and a workspace of his own.
    ({ token: bruno } = await addMember(t.api, alma, 'bruno@b.example', 'normal'));
    wsB = (await t.api('POST', '/console/api/workspaces', { token: bruno, body: { name: 'B' } })).body.id;
    await t.api('POST', '/console/api/workspaces/switch', { token: bruno, body: { tenant_id: wsB } });
    const members = await t.api('GET', '/console/api/workspaces/current/members', { token: alma });
    const brunoId = members.body.accounts.find((m: { email: string }) => m.email === 'bruno@b.example').id;
    await t.api('DELETE', `/console/api/workspaces/current/members/${brunoId}`, { token: alma });
    await t.api('POST', '/console/api/apps', { token: alma, body: { name: 'A secret app', mode: 'chat' } });
  });
  after(() => t.stop());

  it('does not let a pre-registered account join a workspace that later invites its address (account pre-hijack)', async () => {
    // Bruno invites someone@a.example to B and activates the account with a password of his choosing.
    const own = await invite(t.api, bruno, 'someone@a.example', 'normal', wsB);
    expect((await t.api('POST', '/console/api/activate', { body: { token: tokenOf(own.url!), name: 'Someone', password: 'bruno-knows-1' } })).status).to.equal(200);
    // Later A invites the same address.
    const fromA = await invite(t.api, alma, 'someone@a.example', 'editor');
    expect(fromA.status).to.equal('success');
    // Bruno signs in as that account: it is not a member of A, and A's logs stay closed.
    const hijacked = await login(t.api, 'someone@a.example', 'bruno-knows-1');
    const workspaces = (await t.api('GET', '/console/api/workspaces', { token: hijacked.token })).body.workspaces.map((w: { id: string }) => w.id);
    expect(workspaces).to.deep.equal([wsB]);
    const apps = await t.api('GET', '/console/api/apps', { token: hijacked.token, headers: { 'X-Workspace-Id': wsA } });
    expect(apps.status).to.equal(403);
    // Nor can he accept A's invitation with B's used token, or guess his way in.
    expect((await t.api('POST', '/console/api/invitations/accept', { token: hijacked.token, body: { token: tokenOf(own.url!) } })).status).to.equal(400);
    expect((await t.api('POST', '/console/api/invitations/accept', { token: hijacked.token, body: { token: 'not-a-token' } })).status).to.equal(400);
    // Only whoever holds A's link and that account's login joins A.
    expect((await t.api('POST', '/console/api/invitations/accept', { token: hijacked.token, body: { token: tokenOf(fromA.url!) } })).status).to.equal(200);
  });

  it('activates a pending account into the inviting workspace only, even when another workspace invited it first', async () => {
    const fromA = await invite(t.api, alma, 'twice@a.example');
    const fromB = await invite(t.api, bruno, 'twice@a.example', 'normal', wsB);
    expect((await t.api('POST', '/console/api/activate', { body: { token: tokenOf(fromB.url!), name: 'Twice', password: 'twice-pass-1' } })).status).to.equal(200);
    const account = await login(t.api, 'twice@a.example', 'twice-pass-1');
    expect((await t.api('GET', '/console/api/workspaces', { token: account.token })).body.workspaces.map((w: { id: string }) => w.id)).to.deep.equal([wsB]);
    // A's link now needs the account's login: activation (which would set a password) is refused.
    const again = await t.api('POST', '/console/api/activate', { body: { token: tokenOf(fromA.url!), name: 'X', password: 'other-pass-1' } });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('account_already_active');
    expect((await login(t.api, 'twice@a.example', 'twice-pass-1')).token).to.be.a('string');
  });

  it('refuses to accept an invitation sent to another address', async () => {
    const forOther = await invite(t.api, alma, 'carol@a.example');
    const res = await t.api('POST', '/console/api/invitations/accept', { token: bruno, body: { token: tokenOf(forOther.url!) } });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('invitation_email_mismatch');
  });

  it('lists open invitations for the workspace’s admins, and a revoked one can no longer be used', async () => {
    const sent = await invite(t.api, alma, 'dora@a.example', 'editor');
    const list = await t.api('GET', '/console/api/workspaces/current/invitations', { token: alma });
    const dora = list.body.data.find((i: { email: string }) => i.email === 'dora@a.example');
    expect(dora).to.include({ role: 'editor', invited_by: 'owner@example.com' });
    // B's owner sees none of A's invitations and cannot revoke them.
    expect((await t.api('GET', '/console/api/workspaces/current/invitations', { token: bruno })).body.data.map((i: { email: string }) => i.email)).to.not.include('dora@a.example');
    expect((await t.api('DELETE', `/console/api/workspaces/current/invitations/${dora.id}`, { token: bruno })).status).to.equal(404);
    expect((await t.api('DELETE', `/console/api/workspaces/current/invitations/${dora.id}`, { token: alma })).status).to.equal(204);
    const use = await t.api('POST', '/console/api/activate', { body: { token: tokenOf(sent.url!), name: 'Dora', password: 'dora-pass-1' } });
    expect(use.body.code).to.equal('invalid_invitation');
    expect((await t.api('GET', '/console/api/workspaces/current/invitations', { token: alma })).body.data.map((i: { email: string }) => i.email)).to.not.include('dora@a.example');
  });

  it('replaces an open invitation when the same address is invited again', async () => {
    const first = await invite(t.api, alma, 'erin@a.example');
    const second = await invite(t.api, alma, 'erin@a.example');
    expect((await t.api('POST', '/console/api/activate', { body: { token: tokenOf(first.url!), name: 'Erin', password: 'erin-pass-1' } })).body.code).to.equal('invalid_invitation');
    expect((await t.api('POST', '/console/api/activate', { body: { token: tokenOf(second.url!), name: 'Erin', password: 'erin-pass-1' } })).status).to.equal(200);
    const members = (await t.api('GET', '/console/api/workspaces/current/members', { token: alma })).body.accounts.map((m: { email: string }) => m.email);
    expect(members).to.include('erin@a.example');
  });
});

describe('invitations with a mailer', () => {
  let smtp: SmtpTestServer;
  let t: TestKernel;
  let owner: string;
  before(async () => {
    smtp = await new SmtpTestServer().start();
    t = await startKernel({ env: { ...smtp.env(), CONSOLE_URL: 'https://tessera.example.com/' } });
    ({ token: owner } = await setupOwner(t.api));
  });
  after(async () => {
    await t.stop();
    await smtp.stop();
  });

  it('mails the link to the address and never shows it to the inviter', async () => {
    const result = await invite(t.api, owner, 'mailed@a.example', 'editor');
    expect(result).to.deep.equal({ status: 'success', email: 'mailed@a.example' });
    const mail = await smtp.next();
    expect(mail.to).to.deep.equal(['mailed@a.example']);
    const link = /https:\/\/tessera\.example\.com\/activate\?\S+/.exec(mail.text)?.[0];
    expect(link, mail.text).to.be.a('string');
    expect((await t.api('POST', '/console/api/activate', { body: { token: tokenOf(link!), name: 'Mailed', password: 'mailed-pass-1' } })).status).to.equal(200);
    const members = (await t.api('GET', '/console/api/workspaces/current/members', { token: owner })).body.accounts.map((m: { email: string }) => m.email);
    expect(members).to.include('mailed@a.example');
  });

  it('removes the pending account of a revoked invitation, and codes a failed result', async () => {
    await invite(t.api, owner, 'gone@a.example');
    await smtp.next();
    const accounts = async () => (await t.api('GET', '/console/api/system/accounts', { token: owner })).body.data.map((a: { email: string }) => a.email);
    expect(await accounts()).to.include('gone@a.example');
    const open = (await t.api('GET', '/console/api/workspaces/current/invitations', { token: owner })).body.data.find((i: { email: string }) => i.email === 'gone@a.example');
    expect((await t.api('DELETE', `/console/api/workspaces/current/invitations/${open.id}`, { token: owner })).status).to.equal(204);
    expect(await accounts()).to.not.include('gone@a.example');
    const again = await invite(t.api, owner, 'owner@example.com');
    expect(again).to.include({ status: 'failed', code: 'already_member' });
  });
});
