import { expect } from 'chai';
import type { TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, type TestApp, startAppKernel, stopAppKernel } from '../support/apps.js';

/**
 * Issue #13: an uploaded file is readable and usable only by the end user (or
 * console account) that uploaded it, and only in the app it was uploaded to.
 * Anyone else gets the answer a file id that does not exist gets: 404 `file_not_found`.
 */
describe('uploaded files belong to their uploader and their app', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let appA: TestApp;
  let appB: TestApp;

  const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  // Images in `files[]`, and a `file` form variable that takes uploads.
  const CONFIG = {
    file_upload: { image: { enabled: true, number_limits: 2, detail: 'low', transfer_methods: ['local_file', 'remote_url'] } },
    user_input_form: [{ file: { label: 'Photo', variable: 'photo', required: false, allowed_file_types: ['image'], allowed_file_upload_methods: ['local_file'] } }],
  };

  beforeEach(async () => {
    ({ t, token, upstream } = await startAppKernel());
    appA = await createPublishedApp(t, token, 'chat', CONFIG, 'App A');
    appB = await createPublishedApp(t, token, 'chat', CONFIG, 'App B');
  });
  afterEach(() => stopAppKernel(t, upstream));

  const upload = async (app: TestApp, user: string): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    form.append('user', user);
    const res = await t.api('POST', '/v1/files/upload', { token: app.key, form });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  };
  const local = (id: string) => ({ type: 'image', transfer_method: 'local_file', upload_file_id: id });
  const chat = (app: TestApp, user: string, extra: Record<string, unknown>) =>
    t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'What is in the picture?', user, response_mode: 'blocking', auto_generate_name: false, ...extra } });
  const preview = (app: TestApp, id: string, user?: string) =>
    fetch(`${t.url}/v1/files/${id}/preview${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`, { headers: { Authorization: `Bearer ${app.key}` } });
  const expectNotFound = (res: { status: number; body: any }, what: string) => {
    expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(404);
    expect(res.body, what).to.include({ code: 'file_not_found', status: 404, message: 'File not found.' });
  };
  const expectPreviewNotFound = async (res: Response, what: string) => {
    expect(res.status, what).to.equal(404);
    expect(await res.json(), what).to.include({ code: 'file_not_found' });
  };
  const MISSING = '00000000-0000-4000-8000-000000000000';

  it('lets only the end user who uploaded a file send it, in files[] or as a file input', async () => {
    upstream.scripts = [{ kind: 'stream', words: ['a dot'] }, { kind: 'stream', words: ['a dot'] }];
    const mine = await upload(appA, 'alice');
    expectNotFound(await chat(appA, 'mallory', { files: [local(mine)] }), "another end user's file in files[]");
    expectNotFound(await chat(appA, 'mallory', { inputs: { photo: local(mine) } }), "another end user's file as a file input");
    // Exactly what a file id that does not exist gets: nothing tells that the file is there.
    expectNotFound(await chat(appA, 'mallory', { files: [local(MISSING)] }), 'a file id that does not exist');
    expect(upstream.chatRequests(), 'the model never saw the file').to.have.length(0);

    expect((await chat(appA, 'alice', { files: [local(mine)] })).status).to.equal(200);
    expect((await chat(appA, 'alice', { inputs: { photo: local(mine) } })).status).to.equal(200);
    for (const request of upstream.chatRequests()) {
      expect(JSON.stringify(request.body.messages)).to.contain(PNG.toString('base64'));
    }
  });

  it('previews a file only for the end user who uploaded it', async () => {
    const mine = await upload(appA, 'alice');
    const own = await preview(appA, mine, 'alice');
    expect(own.status).to.equal(200);
    expect(Buffer.from(await own.arrayBuffer()).equals(PNG)).to.equal(true);
    await expectPreviewNotFound(await preview(appA, mine, 'mallory'), 'another end user');
    await expectPreviewNotFound(await preview(appA, mine), 'no user (the anonymous end user)');
    await expectPreviewNotFound(await preview(appA, MISSING, 'alice'), 'a file id that does not exist');
  });

  it('refuses a file to another app of the same workspace, even for the same user string', async () => {
    const inA = await upload(appA, 'alice');
    const inB = await upload(appB, 'alice');
    expectNotFound(await chat(appB, 'alice', { files: [local(inA)] }), "app A's file sent to app B");
    expectNotFound(await chat(appB, 'alice', { inputs: { photo: local(inA) } }), "app A's file as app B's file input");
    expectNotFound(await chat(appA, 'alice', { files: [local(inB)] }), "app B's file sent to app A");
    expect(upstream.chatRequests()).to.have.length(0);
    await expectPreviewNotFound(await preview(appB, inA, 'alice'), "app A's file previewed with app B's key");
    expect((await preview(appB, inB, 'alice')).status).to.equal(200);
  });

  it('refuses a file to an app of another workspace', async () => {
    const inA = await upload(appA, 'alice');
    const other = await t.api('POST', '/console/api/workspaces', { token, body: { name: 'Other' } });
    expect(other.status, JSON.stringify(other.body)).to.be.oneOf([200, 201]);
    expect((await t.api('POST', '/console/api/workspaces/switch', { token, body: { tenant_id: other.body.id } })).status).to.equal(200);
    const appC = await createPublishedApp(t, token, 'chat', CONFIG, 'App C');
    expectNotFound(await chat(appC, 'alice', { files: [local(inA)] }), "another workspace's file");
    await expectPreviewNotFound(await preview(appC, inA, 'alice'), "another workspace's file previewed");
  });

  it("does not let a console account use an end user's file in the app's preview chat", async () => {
    const theirs = await upload(appA, 'alice');
    const res = await t.api('POST', `/console/api/apps/${appA.id}/chat-messages`, { token, body: { inputs: {}, query: 'What is in the picture?', response_mode: 'blocking', files: [local(theirs)] } });
    expectNotFound(res, "an end user's file in the console preview");
    expect(upstream.chatRequests()).to.have.length(0);
  });
});
