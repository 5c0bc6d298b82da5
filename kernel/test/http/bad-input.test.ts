import { expect } from 'chai';
import type { ApiResponse, TestKernel } from '../support/kernel.js';
import type { OpenAiWireServer } from '../support/openai-server.js';
import { createPublishedApp, startAppKernel, stopAppKernel, type TestApp } from '../support/apps.js';

/**
 * Hostile input (issue #14, "Bad input"): each of these answered 500 on the
 * landed build. Each must be a coded 4xx `{code, message, status}` and change
 * nothing stored.
 */
describe('bad input gets a coded 4xx, never a 500', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;
  let app: TestApp;

  before(async () => {
    ({ t, token, upstream } = await startAppKernel());
    app = await createPublishedApp(t, token, 'chat', {}, 'Original');
  });
  after(() => stopAppKernel(t, upstream));

  const expectError = (res: ApiResponse, status: number, code: string, params?: string) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.body).to.include({ code, status });
    expect(res.body.message).to.be.a('string').and.not.match(/\bat \S+ \(|postgres|pglite|invalid input syntax|stack/i);
    if (params !== undefined) expect(res.body.params).to.equal(params);
  };
  const draft = async () => (await t.api('GET', `/console/api/apps/${app.id}`, { token })).body.model_config;

  describe('a NUL character in a text field is 400 invalid_param naming the field', () => {
    it('login email', async () => {
      expectError(await t.api('POST', '/console/api/login', { body: { email: 'owner\u0000@example.com', password: 'x' } }), 400, 'invalid_param', 'email');
    });
    it('app name, on create and on rename (the name is unchanged)', async () => {
      expectError(await t.api('POST', '/console/api/apps', { token, body: { name: 'a\u0000b', mode: 'chat' } }), 400, 'invalid_param', 'name');
      expectError(await t.api('PUT', `/console/api/apps/${app.id}`, { token, body: { name: 'x\u0000' } }), 400, 'invalid_param', 'name');
      expect((await t.api('GET', `/console/api/apps/${app.id}`, { token })).body.name).to.equal('Original');
    });
    it('annotation question', async () => {
      expectError(await t.api('POST', `/console/api/apps/${app.id}/annotations`, { token, body: { question: 'q\u0000', answer: 'a' } }), 400, 'invalid_param', 'question');
      expect((await t.api('GET', `/console/api/apps/${app.id}/annotations`, { token })).body.data).to.deep.equal([]);
    });
    it('a nested field and an object key are named by their path', async () => {
      expectError(await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { user_input_form: [{ 'text-input': { label: 'L', variable: 'v', default: '\u0000' } }] } }), 400, 'invalid_param', 'user_input_form[0].text-input.default');
      expectError(await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query: 'hi', user: 'u', inputs: { 'k\u0000': 'v' } } }), 400, 'invalid_param', 'inputs');
    });
    it('the YAML of a DSL import, in the JSON field and as a YAML escape', async () => {
      expectError(await t.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-content', yaml_content: 'app:\n  name: "a\u0000"\n' } }), 400, 'invalid_param', 'yaml_content');
      const escaped = await t.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-content', yaml_content: 'version: 0.6.0\nkind: app\napp:\n  name: "a\\0b"\n  mode: chat\nmodel_config:\n  pre_prompt: x\n' } });
      expect(escaped.status).to.equal(400);
      expect(escaped.body).to.include({ status: 'failed', code: 'import_failed' });
      expect(escaped.body.error).to.match(/NUL/);
    });
    it('chat query, on the Service API and the OpenAI-compatible API', async () => {
      expectError(await t.api('POST', '/v1/chat-messages', { token: app.key, body: { query: 'hi\u0000', user: 'u', inputs: {} } }), 400, 'invalid_param', 'query');
      expectError(await t.api('POST', '/v1/chat/completions', { token: app.key, body: { model: app.id, messages: [{ role: 'user', content: 'hi\u0000' }] } }), 400, 'invalid_param', 'messages[0].content');
      expect(upstream.chatRequests()).to.have.length(0);
    });
    it('a query-string parameter', async () => {
      expectError(await t.api('GET', '/console/api/apps?name=%00', { token }), 400, 'invalid_param', 'name');
    });
  });

  describe('an id that is not a UUID is 404', () => {
    for (const id of ['not-a-uuid', '%00', '1', `${'0'.repeat(8)}-0000-0000-0000-00000000000g`]) {
      it(`GET/PUT/DELETE /console/api/apps/${id}`, async () => {
        expectError(await t.api('GET', `/console/api/apps/${id}`, { token }), 404, 'app_not_found');
        expectError(await t.api('PUT', `/console/api/apps/${id}`, { token, body: { name: 'n' } }), 404, 'app_not_found');
        expectError(await t.api('DELETE', `/console/api/apps/${id}`, { token }), 404, 'app_not_found');
      });
    }
    it('every other id-like path parameter', async () => {
      for (const path of [
        `/console/api/apps/${app.id}/annotations/not-a-uuid`,
        `/console/api/apps/${app.id}/api-keys/not-a-uuid`,
        `/console/api/apps/${app.id}/conversations/%00/messages`,
        `/console/api/workspaces/current/members/not-a-uuid`,
        `/console/api/workspaces/current/invitations/%00`,
        `/console/api/workspaces/current/model-providers/openai/credentials/not-a-uuid`,
      ]) {
        const method = path.endsWith('/messages') ? 'GET' : 'DELETE';
        const res = await t.api(method, path, { token });
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(404);
        expect(res.body.code).to.be.a('string').and.match(/not_found$/);
      }
      const v1 = await t.api('GET', '/v1/messages?user=u&conversation_id=x', { token: app.key });
      expect(v1.status).to.be.within(400, 404);
      const variables = await t.api('GET', '/v1/conversations/not-a-uuid/variables?user=u', { token: app.key });
      expect(variables.status).to.equal(404);
    });
  });

  it('a 50,000-deep JSON body is 400 invalid_param (the limit is 64 levels)', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    expectError(await t.api('POST', '/console/api/apps', { token, rawBody: `{"name":"d","mode":"chat","model_config":${deep}}` }), 400, 'invalid_param');
    expectError(await t.api('POST', '/v1/chat-messages', { token: app.key, rawBody: `{"query":"q","user":"u","inputs":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}` }), 400, 'invalid_param');
    const ok = '{"a":'.repeat(60) + '1' + '}'.repeat(60);
    const fine = await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, rawBody: `{"dataset_configs":${ok}}` });
    expect(fine.status, JSON.stringify(fine.body)).to.equal(200);
  });

  describe('an app config is checked against one schema on every write', () => {
    // The last entry: the DSL's own mapping drops it with a warning (a Dify tool entry it cannot read) rather than failing the import.
    const bad: Array<[string, Record<string, unknown>, string, 'dropped'?]> = [
      ['keywords: 5', { sensitive_word_avoidance: { enabled: true, type: 'keywords', configs: { keywords: 5 } } }, 'model_config.sensitive_word_avoidance.configs.keywords'],
      ['temperature: "hot"', { model: { provider: 'openai', name: 'gpt-4o-mini', completion_params: { temperature: 'hot' } } }, 'model_config.model.completion_params.temperature'],
      ['number_limits: -3', { file_upload: { enabled: true, number_limits: -3 } }, 'model_config.file_upload.number_limits'],
      ['opening_statement: {}', { opening_statement: {} }, 'model_config.opening_statement'],
      ['annotation_reply.score_threshold: "high"', { annotation_reply: { enabled: false, score_threshold: 'high' } }, 'model_config.annotation_reply.score_threshold'],
      ['agent_mode.tools[0].tool_name: 1', { agent_mode: { tools: [{ provider_id: 'p', provider_type: 'plugin', tool_name: 1, tool_parameters: {}, enabled: true }] } }, 'model_config.agent_mode.tools[0].tool_name', 'dropped'],
    ];
    for (const [what, patch, field, dsl] of bad) {
      it(`${what}: 400 naming ${field} on PUT model-config, POST /apps and DSL import; nothing saved`, async () => {
        const before = await draft();
        expectError(await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: patch }), 400, 'invalid_param', field);
        expect(await draft()).to.deep.equal(before);
        expectError(await t.api('POST', '/console/api/apps', { token, body: { name: 'n', mode: 'chat', model_config: patch } }), 400, 'invalid_param', field);
        const yaml = `version: 0.6.0\nkind: app\napp:\n  name: Imported\n  mode: chat\nmodel_config: ${JSON.stringify(patch)}\n`;
        const imported = await t.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-content', yaml_content: yaml } });
        if (dsl === 'dropped') {
          expect(imported.body.status).to.equal('completed-with-warnings');
          expect((await t.api('GET', `/console/api/apps/${imported.body.app_id}`, { token })).body.model_config.agent_mode.tools).to.deep.equal([]);
          expect((await t.api('DELETE', `/console/api/apps/${imported.body.app_id}`, { token })).status).to.equal(204);
          return;
        }
        expect(imported.status).to.equal(400);
        expect(imported.body).to.include({ status: 'failed', code: 'import_failed', app_id: null });
        expect(imported.body.error).to.include(field);
        const list = await t.api('GET', '/console/api/apps', { token });
        expect(list.body.data.map((a: { name: string }) => a.name)).to.deep.equal(['Original']);
      });
    }
    it('a valid config still saves, and the chat with keyword moderation runs', async () => {
      const saved = await t.api('PUT', `/console/api/apps/${app.id}/model-config`, { token, body: { sensitive_word_avoidance: { enabled: true, type: 'keywords', configs: { keywords: 'forbidden' } }, model: { provider: 'openai', name: 'gpt-4o-mini', completion_params: { temperature: 1.2, max_tokens: 100 } } } });
      expect(saved.status, JSON.stringify(saved.body)).to.equal(200);
      const chat = await t.api('POST', `/console/api/apps/${app.id}/chat-messages`, { token, body: { query: 'forbidden words', inputs: {}, auto_generate_name: false } });
      expect(chat.status).to.equal(200);
      expect(chat.body.answer).to.equal('Your input contains content that cannot be processed.');
    });
  });

  it('a timestamp beyond any date in a log filter is 400 naming it (found by the fuzz test)', async () => {
    for (const route of ['conversations', 'messages', 'statistics']) {
      expectError(await t.api('GET', `/console/api/apps/${app.id}/${route}?start=99999999999999999999`, { token }), 400, 'invalid_param', 'start');
      expectError(await t.api('GET', `/console/api/apps/${app.id}/${route}?end=99999-01-01`, { token }), 400, 'invalid_param', 'end');
    }
  });

  it('a multipart body without a boundary is 400 (found by the fuzz test)', async () => {
    const rawBody = '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhi\r\n--x--';
    const headers = { 'Content-Type': 'multipart/form-data' };
    expectError(await t.api('POST', '/v1/files/upload', { token: app.key, rawBody, headers }), 400, 'invalid_param');
    expectError(await t.api('POST', '/console/api/plugins/upload', { token, rawBody, headers }), 400, 'invalid_param');
  });

  it('an unknown field on PUT /apps/{id} is 400 naming it (the app is unchanged)', async () => {
    expectError(await t.api('PUT', `/console/api/apps/${app.id}`, { token, body: { name: 'Renamed', mode: 'completion' } }), 400, 'invalid_param', 'mode');
    const now = await t.api('GET', `/console/api/apps/${app.id}`, { token });
    expect(now.body).to.include({ name: 'Original', mode: 'chat' });
  });

  it('a failed DSL import carries a code beside Dify’s status and error', async () => {
    const res = await t.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-content', yaml_content: 'app: [unclosed' } });
    expect(res.status).to.equal(400);
    expect(res.body).to.include({ status: 'failed', code: 'import_failed', app_id: null });
    expect(res.body.error).to.match(/Invalid YAML format/);
    expect(res.body.message).to.equal(res.body.error);
    const expired = await t.api('POST', '/console/api/apps/imports/00000000-0000-4000-8000-000000000000/confirm', { token });
    expect(expired.body).to.include({ status: 'failed', code: 'import_failed' });
  });
});
