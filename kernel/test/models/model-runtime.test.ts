import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { OpenAiWireServer } from '../support/openai-server.js';
import { DatabaseRef, ModelRuntimeRef, PackagesRef, PluginHostRef } from '../../src/services.js';

const OPENAI_PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'openai');
const PROVIDERS = '/console/api/workspaces/current/model-providers';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads an SSE response into its `data:` events. */
async function events(response: Response): Promise<any[]> {
  const text = await response.text();
  return text.split('\n\n').filter((frame) => frame.startsWith('data: ')).map((frame) => JSON.parse(frame.slice(6)));
}

describe('model runtime facade with the OpenAI plugin against an OpenAI-wire server', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;
  let upstream: OpenAiWireServer;

  beforeEach(async () => {
    upstream = await new OpenAiWireServer().start();
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
    await t.kernel.get(PackagesRef).installFolder(OPENAI_PLUGIN, 'bundled', null, null, (pkg, code) => t.kernel.get(PluginHostRef).verify(pkg, code));
  });
  afterEach(async () => {
    await t.stop();
    await upstream.stop();
  });

  const addCredentials = (apiKey = 'sk-test', name = 'Default') => t.api('POST', `${PROVIDERS}/openai/credentials`, { token, body: { name, credentials: { api_key: apiKey, base_url: upstream.url } } });
  const chat = (body: object, signal?: AbortSignal) =>
    fetch(`${t.url}/console/api/workspaces/current/models/chat`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], ...body }), ...(signal ? { signal } : {}) });
  const usageRows = async () => {
    await t.kernel.get(ModelRuntimeRef).usage.flush();
    return (await t.kernel.get(DatabaseRef).knex('model_usage').orderBy('id')) as Array<Record<string, any>>;
  };

  it('adds credentials at a local base URL after the provider validated them, masked in listings and audited', async () => {
    const res = await addCredentials();
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ provider: 'openai', name: 'Default' });
    expect(res.body.credentials.api_key).to.not.equal('sk-test');
    expect(upstream.requests.map((r) => r.path)).to.include('/v1/models');
    const listed = await t.api('GET', `${PROVIDERS}/openai/credentials`, { token });
    expect(listed.body.data).to.have.length(1);
    expect(JSON.stringify(listed.body)).to.not.contain('sk-test');
    const audit = await t.kernel.get(DatabaseRef).knex('audit_log').where({ action: 'provider.base_url.private_granted' });
    expect(audit).to.have.length(1);
    expect(audit[0].details.host).to.equal(`127.0.0.1:${upstream.port}`);
    const providers = await t.api('GET', PROVIDERS, { token });
    expect(providers.body.data.find((p: { provider: string }) => p.provider === 'openai')).to.include({ status: 'active', credentials_count: 1 });
  });

  it('refuses wrong credentials with 400 and the provider’s own message', async () => {
    const res = await addCredentials('sk-wrong');
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('invalid_credentials');
    expect(res.body.message).to.contain('Incorrect API key provided');
    expect((await t.api('GET', `${PROVIDERS}/openai/credentials`, { token })).body.data).to.deep.equal([]);
  });

  it('lists models by type in Dify’s shape, on the console and the Service API', async () => {
    await addCredentials();
    const llm = await t.api('GET', '/console/api/workspaces/current/models/model-types/llm', { token });
    expect(llm.status).to.equal(200);
    const openai = llm.body.data.find((p: { provider: string }) => p.provider === 'openai');
    expect(openai).to.include({ status: 'active' });
    const model = openai.models.find((m: { model: string }) => m.model === 'gpt-4o-mini');
    expect(model).to.include({ model_type: 'llm', fetch_from: 'predefined-model' });
    expect(model.model_properties.context_size).to.be.a('number');
    const embeddings = await t.api('GET', '/console/api/workspaces/current/models/model-types/text-embedding', { token });
    expect(embeddings.body.data[0].models.map((m: { model: string }) => m.model)).to.include('text-embedding-3-small');
    const app = await t.api('POST', '/console/api/apps', { token, body: { name: 'A', mode: 'chat' } });
    const key = await t.api('POST', `/console/api/apps/${app.body.id}/api-keys`, { token });
    const viaService = await t.api('GET', '/v1/workspaces/current/models/model-types/llm', { token: key.body.token });
    expect(viaService.status).to.equal(200);
    expect(viaService.body.data[0].models.map((m: { model: string }) => m.model)).to.include('gpt-4o-mini');
    expect((await t.api('GET', '/console/api/workspaces/current/models/model-types/video', { token })).status).to.equal(400);
  });

  it('streams a chat through the facade chunk by chunk and records the call', async () => {
    await addCredentials();
    upstream.scripts = [{ kind: 'stream', words: ['Hello', ' from', ' the', ' server'], usage: { prompt_tokens: 12, completion_tokens: 4 } }];
    const frames = await events(await chat({}));
    const text = frames.filter((f) => f.event === 'chunk').map((f) => f.delta?.content ?? '').join('');
    expect(text).to.equal('Hello from the server');
    expect(frames[frames.length - 1].event).to.equal('done');
    const sent = upstream.chatRequests()[0]!;
    expect(sent.body).to.deep.include({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    const [row] = await usageRows();
    expect(row).to.include({ provider_id: 'openai', model: 'gpt-4o-mini', model_type: 'llm', tokens_in: 12, tokens_out: 4, status: 'success' });
    expect(row!.ttft_ms).to.be.a('number');
    expect(Number(row!.price)).to.be.greaterThan(0);
  });

  it('retries an upstream 500 and succeeds', async () => {
    await addCredentials();
    upstream.scripts = [{ kind: 'error', status: 500, message: 'The server had an error while processing your request.' }, { kind: 'stream', words: ['ok'] }];
    const frames = await events(await chat({}));
    expect(frames.filter((f) => f.event === 'chunk').map((f) => f.delta?.content ?? '').join('')).to.equal('ok');
    expect(upstream.chatRequests()).to.have.length(2);
  });

  it('honours Retry-After on a 429 with a single credential, then succeeds', async () => {
    await addCredentials();
    upstream.scripts = [{ kind: 'error', status: 429, message: 'Rate limit reached for gpt-4o-mini.', type: 'requests', retryAfter: '1' }, { kind: 'stream', words: ['late'] }];
    const begun = Date.now();
    const frames = await events(await chat({}));
    expect(frames.some((f) => f.delta?.content === 'late')).to.equal(true);
    expect(Date.now() - begun).to.be.at.least(900);
  });

  it('moves to the next credential at once after a 429 and cools the first one down', async () => {
    await addCredentials('sk-test', 'first');
    await addCredentials('sk-test', 'second');
    upstream.scripts = [{ kind: 'error', status: 429, message: 'Rate limit reached.', retryAfter: '30' }, { kind: 'stream', words: ['from the other key'] }];
    const begun = Date.now();
    const frames = await events(await chat({}));
    expect(frames.some((f) => f.delta?.content === 'from the other key')).to.equal(true);
    expect(Date.now() - begun).to.be.below(3000);
    const cooled = (await t.api('GET', `${PROVIDERS}/openai/credentials`, { token })).body.data.filter((c: { cooldown_until: number | null }) => c.cooldown_until !== null);
    expect(cooled).to.have.length(1);
    expect(cooled[0].last_error).to.contain('Rate limit');
  });

  it('fails with the provider’s error when credentials stop working, and cools them down', async () => {
    await addCredentials();
    upstream.apiKey = 'sk-rotated';
    const frames = await events(await chat({}));
    const error = frames.find((f) => f.event === 'error');
    expect(error).to.include({ code: 'plugin_credentials_invalid', status: 401 });
    const next = await events(await chat({}));
    expect(next.find((f) => f.event === 'error')).to.include({ code: 'provider_cooling_down', status: 429 });
    const rows = await usageRows();
    expect(rows[0]).to.include({ status: 'error', error_code: 'plugin_credentials_invalid' });
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    await addCredentials();
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 50 }, (_, i) => ` w${i}`), delayMs: 100 }];
    const controller = new AbortController();
    const response = await chat({}, controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    for (let i = 0; i < 40 && upstream.closedEarly === 0; i++) await sleep(50);
    expect(upstream.closedEarly).to.equal(1);
    for (let i = 0; i < 40 && (await usageRows()).length === 0; i++) await sleep(50);
    expect((await usageRows())[0]).to.include({ status: 'cancelled' });
  });

  it('answers a whole completion as JSON when stream is false, and embeds through the facade', async () => {
    await addCredentials();
    const whole = await t.api('POST', '/console/api/workspaces/current/models/chat', { token, body: { provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: false } });
    expect(whole.status).to.equal(200);
    expect(whole.body.message).to.deep.include({ role: 'assistant', content: 'Hello there!' });
    expect(whole.body.finish_reason).to.equal('stop');
    const workspaceId = (await t.api('GET', '/console/api/workspaces/current', { token })).body.id;
    const embedded = await t.kernel.get(ModelRuntimeRef).embed(workspaceId, 'openai', { model: 'text-embedding-3-small', input: ['a', 'bbb'] });
    expect(embedded.vectors).to.deep.equal([[1, 1, 0], [3, 1, 0]]);
  });

  it('keeps a default model per type and resolves Dify provider ids', async () => {
    await addCredentials();
    const set = await t.api('POST', '/console/api/workspaces/current/default-model', { token, body: { model_settings: [{ model_type: 'llm', provider: 'langgenius/openai/openai', model: 'gpt-4o-mini' }] } });
    expect(set.status).to.equal(200);
    const got = await t.api('GET', '/console/api/workspaces/current/default-model?model_type=llm', { token });
    expect(got.body.data).to.deep.include({ model: 'gpt-4o-mini', model_type: 'llm' });
    expect(got.body.data.provider.provider).to.equal('openai');
    const frames = await events(await chat({ provider: 'openai_api_compatible' }));
    expect(frames.at(-1).event).to.equal('done');
  });

  it('reports usage per model per day', async () => {
    await addCredentials();
    await events(await chat({}));
    await events(await chat({}));
    await t.kernel.get(ModelRuntimeRef).usage.flush();
    const usage = await t.api('GET', '/console/api/workspaces/current/models/usage', { token });
    expect(usage.status).to.equal(200);
    expect(usage.body.data).to.have.length(1);
    expect(usage.body.data[0]).to.include({ provider: 'openai', model: 'gpt-4o-mini', calls: 2, tokens_in: 20, tokens_out: 6, errors: 0 });
  });

  it('estimates prompt tokens when the provider cannot count them', async () => {
    await addCredentials();
    const workspaceId = (await t.api('GET', '/console/api/workspaces/current', { token })).body.id;
    const counted = await t.kernel.get(ModelRuntimeRef).countTokens(workspaceId, 'openai', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello world' }] });
    expect(counted).to.deep.equal({ tokens: 9, exact: false });
  });
});
