import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { fetchDsl } from '../../src/apps/dsl/fetch.js';
import { checkVersion, CURRENT_DSL_VERSION, dependencyOf, DslError, exportDsl, parseDsl, rawGithubUrl } from '../../src/apps/dsl/dsl.js';
import { defaultConfig } from '../../src/apps/config.js';
import { configureOpenAi } from '../support/apps.js';
import { addMember, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { OpenAiWireServer } from '../support/openai-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dsl');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The fixture with its `version:` line replaced (or removed when `version` is null). */
function withVersion(yaml: string, version: string | null): string {
  const lines = yaml.split('\n').filter((l) => !l.startsWith('version:'));
  return [...lines, ...(version === null ? [] : [`version: ${version}`])].join('\n');
}

describe('app DSL import and export (HTTP)', function () {
  this.timeout(60_000);
  let t: TestKernel;
  let token: string;

  before(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
  });
  after(() => t.stop());

  const importYaml = (yaml: string, extra: Record<string, unknown> = {}, as = token) => t.api('POST', '/console/api/apps/imports', { token: as, body: { mode: 'yaml-content', yaml_content: yaml, ...extra } });
  const getApp = async (id: string) => {
    const res = await t.api('GET', `/console/api/apps/${id}`, { token });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body;
  };
  const exportApp = async (id: string, query = '') => {
    const res = await t.api('GET', `/console/api/apps/${id}/export${query}`, { token });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.data).to.be.a('string');
    return res.body.data as string;
  };
  const appCount = async () => (await t.api('GET', '/console/api/apps?limit=100', { token })).body.total as number;

  it('imports a Dify-exported chat app: completed, published, API enabled, the config mapped 1:1', async () => {
    const res = await importYaml(fixture('chat-app.yml'));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ status: 'completed', error: '', imported_dsl_version: '0.6.0', current_dsl_version: CURRENT_DSL_VERSION, app_mode: 'chat' });
    expect(res.body.id).to.match(UUID);
    expect(res.body.app_id).to.match(UUID);
    expect(res.body.id).to.not.equal(res.body.app_id);

    const app = await getApp(res.body.app_id);
    expect(app).to.include({ name: 'Acme support bot', mode: 'chat', icon: '🛎️', icon_type: 'emoji', icon_background: '#E0F2FE', enable_api: true });
    expect(app.description).to.equal("Answers questions about Acme's products, in the tone the user picks.");
    expect(app.published_model_config).to.deep.equal(app.model_config);
    expect(app.published_at).to.be.a('number');
    expect(app.has_unpublished_changes).to.equal(false);

    const config = app.model_config;
    expect(config.model).to.deep.equal({ provider: 'langgenius/openai/openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: { max_tokens: 512, stop: [], temperature: 0.2 } });
    expect(config.pre_prompt).to.equal('You are a support agent for {{company}}. Answer in a {{tone}} tone.\nKeep answers short and, when you are unsure, say so and offer to open a ticket.');
    expect(config.prompt_type).to.equal('simple');
    expect(config.opening_statement).to.equal("Hi! I'm the Acme support bot. What can I help you with today?");
    expect(config.suggested_questions).to.deep.equal(['How do I reset my password?', 'Where is my order?', 'Can I change my delivery address?']);
    expect(config.suggested_questions_after_answer).to.deep.equal({ enabled: true });
    expect(config.retriever_resource).to.deep.equal({ enabled: true });
    expect(config.user_input_form).to.deep.equal([
      { 'text-input': { default: 'Acme', label: 'Company', max_length: 48, required: true, variable: 'company' } },
      { select: { default: '', label: 'Tone', options: ['formal', 'casual'], required: false, variable: 'tone' } },
      { paragraph: { default: '', label: 'Order notes', max_length: 2000, required: false, variable: 'notes' } },
    ]);
    expect(config.file_upload.allowed_file_extensions).to.deep.equal(['.JPG', '.JPEG', '.PNG', '.GIF', '.WEBP', '.SVG']);
    // Dify-only keys that were empty are dropped silently; `configs: []` / `type: ''` fall back to the defaults.
    for (const key of ['external_data_tools', 'dataset_query_variable', 'chat_prompt_config', 'completion_prompt_config']) expect(config).to.not.have.property(key);
    expect(config.sensitive_word_avoidance.enabled).to.equal(false);
    expect(config.sensitive_word_avoidance.type).to.equal('keywords');
    expect(config.sensitive_word_avoidance.configs).to.be.an('object');
    expect(config.agent_mode).to.not.have.property('prompt');
  });

  for (const [name, mode] of [['chat-app.yml', 'chat'], ['completion-app.yml', 'completion'], ['agent-app.yml', 'agent-chat']] as const) {
    it(`round-trips a ${mode} app: export, then re-import, gives an equal config`, async () => {
      const first = await importYaml(fixture(name));
      expect(first.body.status, JSON.stringify(first.body)).to.equal('completed');
      const original = await getApp(first.body.app_id);

      const yaml = await exportApp(first.body.app_id);
      const doc = parseYaml(yaml);
      expect(doc.version).to.equal('0.6.0');
      expect(doc.kind).to.equal('app');
      expect(doc.app).to.deep.equal({ name: original.name, mode, icon: original.icon, icon_type: original.icon_type, icon_background: original.icon_background, description: original.description, use_icon_as_answer_icon: false });
      expect(doc.model_config).to.deep.equal(original.model_config);
      expect(doc.dependencies).to.deep.include({ type: 'marketplace', value: { marketplace_plugin_unique_identifier: 'langgenius/openai' }, current_identifier: null });
      expect(Object.keys(doc)).to.deep.equal(['app', 'dependencies', 'kind', 'model_config', 'version']);

      const second = await importYaml(yaml);
      expect(second.body).to.include({ status: 'completed', error: '', imported_dsl_version: '0.6.0' });
      expect(second.body.app_id).to.not.equal(first.body.app_id);
      const copy = await getApp(second.body.app_id);
      expect(copy.model_config).to.deep.equal(original.model_config);
      expect(copy.published_model_config).to.deep.equal(original.model_config);
      expect(copy).to.include({ name: original.name, mode, description: original.description, icon: original.icon, icon_background: original.icon_background });
    });
  }

  it('keeps a completion app’s query variable and keyword moderation', async () => {
    const res = await importYaml(fixture('completion-app.yml'));
    const config = (await getApp(res.body.app_id)).model_config;
    expect(config.pre_prompt).to.equal('Translate the text below into {{language}}. Reply with the translation only.\n\n{{query}}');
    expect(config.user_input_form.map((e: Record<string, { variable: string }>) => Object.values(e)[0]!.variable)).to.deep.equal(['language', 'query']);
    expect(config.more_like_this).to.deep.equal({ enabled: true });
    expect(config.opening_statement).to.equal(''); // `null` in the file: the default
    expect(config.sensitive_word_avoidance).to.deep.equal({
      enabled: true,
      type: 'keywords',
      configs: { keywords: 'password\ncredit card', inputs_config: { enabled: true, preset_response: "I can't translate that." }, outputs_config: { enabled: false, preset_response: '' } },
    });
  });

  it('imports agent tools without credential ids and exports their plugin dependencies', async () => {
    const res = await importYaml(fixture('agent-app.yml'));
    expect(res.body.status).to.equal('completed');
    const config = (await getApp(res.body.app_id)).model_config;
    expect(config.agent_mode).to.deep.equal({
      enabled: true,
      strategy: 'function_call',
      max_iteration: 8,
      tools: [
        { provider_id: 'langgenius/time/time', provider_name: 'time', provider_type: 'builtin', tool_name: 'current_time', tool_parameters: { format: '%Y-%m-%d %H:%M:%S', timezone: 'UTC' }, enabled: true },
        { provider_id: 'langgenius/wikipedia/wikipedia', provider_name: 'wikipedia', provider_type: 'builtin', tool_name: 'wikipedia_search', tool_parameters: { language: 'en', query: '' }, enabled: true },
      ],
    });
    const yaml = await exportApp(res.body.app_id, '?include_secret=true');
    expect(yaml).to.not.include('credential_id');
    expect(yaml).to.not.include('5b0c2f4e');
    expect(parseYaml(yaml).dependencies).to.deep.equal(['langgenius/openai', 'langgenius/time', 'langgenius/wikipedia'].map((id) => ({ current_identifier: null, type: 'marketplace', value: { marketplace_plugin_unique_identifier: id } })));
  });

  it('exports an app made in the console, and answers 404 for an unknown app', async () => {
    const created = await t.api('POST', '/console/api/apps', { token, body: { name: 'Console app', mode: 'chat', model_config: { model: { provider: 'openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: {} }, pre_prompt: 'Be brief.' } } });
    expect(created.status).to.equal(201);
    const doc = parseYaml(await exportApp(created.body.id));
    expect(doc.app.name).to.equal('Console app');
    expect(doc.model_config.pre_prompt).to.equal('Be brief.');
    expect(doc.dependencies).to.deep.equal([{ current_identifier: null, type: 'marketplace', value: { marketplace_plugin_unique_identifier: 'langgenius/openai' } }]);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const missing = await t.api('GET', `/console/api/apps/${id}/export`, { token });
      expect(missing.status, id).to.equal(404);
      expect(missing.body.code, id).to.equal('app_not_found');
    }
  });

  it('makes an imported app callable at once: API key, /v1/info and a chat message', async () => {
    const upstream = await new OpenAiWireServer().start();
    try {
      await configureOpenAi(t, token, upstream);
      const res = await importYaml(fixture('chat-app.yml'), { name: 'Callable bot' });
      const key = await t.api('POST', `/console/api/apps/${res.body.app_id}/api-keys`, { token });
      expect(key.status).to.equal(201);
      expect(key.body.token).to.match(/^app-/);
      const info = await t.api('GET', '/v1/info', { token: key.body.token });
      expect(info.status).to.equal(200);
      expect(info.body).to.include({ name: 'Callable bot', mode: 'chat' });

      upstream.scripts = [{ kind: 'stream', words: ['Your', ' order', ' ships', ' today.'] }];
      const chat = await t.api('POST', '/v1/chat-messages', { token: key.body.token, body: { inputs: { company: 'Acme', tone: 'casual' }, query: 'Where is my order?', user: 'u1', response_mode: 'blocking' } });
      expect(chat.status, JSON.stringify(chat.body)).to.equal(200);
      expect(chat.body.answer).to.equal('Your order ships today.');
      const sent = upstream.chatRequests().at(-1)!.body;
      expect(sent.model).to.equal('gpt-4o-mini');
      expect(sent.messages[0]).to.deep.equal({ role: 'system', content: 'You are a support agent for Acme. Answer in a casual tone.\nKeep answers short and, when you are unsure, say so and offer to open a ticket.' });
    } finally {
      await upstream.stop();
    }
  });

  it('asks to confirm a newer DSL (202, status pending, no app), then creates the app on confirm, once', async () => {
    const before = await appCount();
    const newer = withVersion(fixture('chat-app.yml'), '0.7.0').replace('provider: langgenius/openai/openai', 'provider: openai');
    const res = await importYaml(newer, { name: 'Old bot' });
    expect(res.status).to.equal(202);
    expect(res.body).to.include({ status: 'pending', app_id: null, error: '', imported_dsl_version: '0.7.0', current_dsl_version: '0.6.0' });
    expect(await appCount()).to.equal(before);

    const confirmed = await t.api('POST', `/console/api/apps/imports/${res.body.id}/confirm`, { token });
    expect(confirmed.status).to.equal(200);
    expect(confirmed.body).to.include({ id: res.body.id, status: 'completed', error: '', imported_dsl_version: '0.7.0' });
    const app = await getApp(confirmed.body.app_id);
    expect(app.name).to.equal('Old bot');
    expect(app.published_model_config.model.provider).to.equal('openai');
    expect(await appCount()).to.equal(before + 1);

    const again = await t.api('POST', `/console/api/apps/imports/${res.body.id}/confirm`, { token });
    expect(again.status).to.equal(400);
    expect(again.body).to.include({ status: 'failed', app_id: null });
    expect(again.body.error).to.match(/expired or does not exist/);
    expect(await appCount()).to.equal(before + 1);
  });

  it('treats a missing version as 0.1.0 (an older minor: imported with warnings) and a newer one as pending', async () => {
    const chat = fixture('chat-app.yml');
    const missing = await importYaml(withVersion(chat, null));
    expect(missing.status).to.equal(200);
    expect(missing.body).to.include({ status: 'completed-with-warnings', imported_dsl_version: '0.1.0' });
    for (const version of ['1.0.0', '0.7.0', '0.6.1']) {
      const res = await importYaml(withVersion(chat, version));
      expect(res.status, version).to.equal(202);
      expect(res.body, version).to.include({ status: 'pending', imported_dsl_version: version, app_id: null });
    }
  });

  it('imports an older minor version (a 0.1.x export) with warnings, published', async () => {
    const res = await importYaml(withVersion(fixture('chat-app.yml'), '0.1.5'));
    expect(res.body).to.include({ status: 'completed-with-warnings', imported_dsl_version: '0.1.5', error: '' });
    expect((await getApp(res.body.app_id)).published_model_config).to.not.equal(null);
  });

  it('keeps the known keys and reports dropped ones as warnings', async () => {
    const yaml = fixture('chat-app.yml')
      .replace('  external_data_tools: []', '  external_data_tools:\n  - enabled: true\n    tool: weather\n    variable: weather')
      .replace('kind: app\nmodel_config:\n', 'kind: app\nmodel_config:\n  brand_new_feature:\n    enabled: true\n');
    const res = await importYaml(yaml);
    expect(res.body.status).to.equal('completed-with-warnings');
    expect(res.body.warnings.join('\n')).to.match(/external_data_tools/).and.to.match(/brand_new_feature/);
    const config = (await getApp(res.body.app_id)).model_config;
    expect(config).to.not.have.property('brand_new_feature');
    expect(config).to.not.have.property('external_data_tools');
    expect(config.opening_statement).to.equal("Hi! I'm the Acme support bot. What can I help you with today?");
  });

  it('applies name and icon overrides from the request', async () => {
    const res = await importYaml(fixture('completion-app.yml'), { name: 'My translator', description: 'Mine', icon: '🈯', icon_background: '#000000', icon_type: 'emoji' });
    expect(await getApp(res.body.app_id)).to.include({ name: 'My translator', description: 'Mine', icon: '🈯', icon_background: '#000000' });
  });

  it('fails, with an error and no app, for bad YAML, another kind, workflow modes and invalid configs', async () => {
    const before = await appCount();
    const chat = fixture('chat-app.yml');
    const cases: Array<[string, string, RegExp]> = [
      ['bad YAML', 'app: [unclosed\nkind: app', /Invalid YAML format/],
      ['not a mapping', '- a\n- b\n', /must be a mapping/],
      ['kind workflow', chat.replace('kind: app', 'kind: workflow'), /kind/],
      ['workflow app', 'version: 0.6.0\nkind: app\napp:\n  name: Flow\n  mode: workflow\nworkflow:\n  graph:\n    nodes: []\n    edges: []\n', /workflow engine/],
      ['advanced-chat app', 'version: 0.6.0\nkind: app\napp:\n  name: Flow\n  mode: advanced-chat\nworkflow: {}\n', /workflow engine/],
      ['unknown mode', chat.replace('mode: chat', 'mode: rag-pipeline'), /Unsupported app mode/],
      ['no app', 'version: 0.6.0\nkind: app\n', /Missing app data/],
      ['no model_config', 'version: 0.6.0\nkind: app\napp:\n  name: X\n  mode: chat\n', /Missing model_config/],
      ['invalid config', chat.replace("      options:\n      - formal\n      - casual\n", ''), /Invalid model_config.*select needs options/],
      ['invalid version', withVersion(chat, 'latest'), /Invalid DSL version/],
    ];
    for (const [what, yaml, error] of cases) {
      const res = await importYaml(yaml);
      expect(res.status, what).to.equal(400);
      expect(res.body.status, what).to.equal('failed');
      expect(res.body.app_id, what).to.equal(null);
      expect(res.body.error, what).to.match(error);
      expect(res.body.id, what).to.match(UUID);
    }
    expect(await appCount()).to.equal(before);
  });

  it('answers 400 invalid_param for a missing or invalid request body', async () => {
    const bodies: unknown[] = [undefined, {}, { mode: 'zip', yaml_content: 'x' }, { mode: 'yaml-content' }, { mode: 'yaml-content', yaml_content: '  ' }, { mode: 'yaml-url' }, { mode: 'yaml-url', yaml_url: 'ftp://example.com/app.yml' }, { mode: 'yaml-content', yaml_content: 5 }];
    for (const body of bodies) {
      const res = await t.api('POST', '/console/api/apps/imports', { token, ...(body === undefined ? {} : { body }) });
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal('invalid_param');
    }
  });

  it('fails a URL import that points at a private address (SSRF guard)', async () => {
    const res = await t.api('POST', '/console/api/apps/imports', { token, body: { mode: 'yaml-url', yaml_url: `${t.url}/health` } });
    expect(res.status).to.equal(400);
    expect(res.body.status).to.equal('failed');
    expect(res.body.error).to.match(/^Error fetching YAML from URL: .*loopback/);
  });

  it('refuses import, confirm and export without apps.edit (403) or without a session (401)', async () => {
    const imported = await importYaml(fixture('chat-app.yml'));
    const normal = await addMember(t.api, token, 'viewer@example.com', 'normal');
    const res = await importYaml(fixture('chat-app.yml'), {}, normal.token);
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('no_permission');
    const pending = await importYaml(withVersion(fixture('chat-app.yml'), '0.7.0'));
    expect((await t.api('POST', `/console/api/apps/imports/${pending.body.id}/confirm`, { token: normal.token })).status).to.equal(403);
    expect((await t.api('GET', `/console/api/apps/${imported.body.app_id}/export`, { token: normal.token })).status).to.equal(403);
    expect((await t.api('POST', '/console/api/apps/imports', { body: { mode: 'yaml-content', yaml_content: fixture('chat-app.yml') } })).status).to.equal(401);
    expect((await t.api('GET', `/console/api/apps/${imported.body.app_id}/export`)).status).to.equal(401);
    // The refused confirmation did not consume the pending import.
    expect((await t.api('POST', `/console/api/apps/imports/${pending.body.id}/confirm`, { token })).body.status).to.equal('completed');
  });
});

describe('app DSL (pure)', () => {
  it('keeps provider moderation (Dify’s openai_moderation) enabled on import', () => {
    const parsed = parseDsl(`version: 0.6.0
kind: app
app: {name: Guarded, mode: chat}
model_config:
  model: {provider: openai, name: gpt-4o-mini, mode: chat, completion_params: {}}
  sensitive_word_avoidance: {enabled: true, type: openai_moderation, configs: {inputs_config: {enabled: true, preset_response: no}, outputs_config: {enabled: false, preset_response: ''}}}
`);
    expect(parsed.modelConfig.sensitive_word_avoidance).to.include({ enabled: true, type: 'openai_moderation' });
  });

  it('compares versions as Dify does: newer or older major pending, older minor warns, patch or equal completes', () => {
    const table: Array<[string, string]> = [
      ['0.6.0', 'completed'],
      ['0.6', 'completed'],
      ['0.6.1', 'pending'],
      ['0.5.0', 'completed-with-warnings'],
      ['0.1.0', 'completed-with-warnings'],
      ['0.7.0', 'pending'],
      ['1.0.0', 'pending'],
      ['nope', 'failed'],
    ];
    for (const [version, status] of table) expect(checkVersion(version), version).to.equal(status);
    expect(checkVersion('1.2.0', '1.4.1')).to.equal('completed-with-warnings');
    expect(checkVersion('1.4.0', '1.4.1')).to.equal('completed');
    expect(checkVersion('0.9.0', '1.4.1')).to.equal('pending');
    expect(checkVersion('2.0.0', '1.4.1')).to.equal('pending');
  });

  it('rewrites GitHub blob URLs to raw and leaves others alone', () => {
    expect(rawGithubUrl('https://github.com/acme/apps/blob/main/dsl/bot.yml')).to.equal('https://raw.githubusercontent.com/acme/apps/main/dsl/bot.yml');
    expect(rawGithubUrl('https://github.com/acme/apps/blob/main/README.md')).to.equal('https://github.com/acme/apps/blob/main/README.md');
    expect(rawGithubUrl('https://example.com/blob/x.yml')).to.equal('https://example.com/blob/x.yml');
  });

  it('names plugin dependencies Dify-style', () => {
    expect(dependencyOf('langgenius/openai/openai')).to.deep.equal({ type: 'marketplace', value: { marketplace_plugin_unique_identifier: 'langgenius/openai' }, current_identifier: null });
    expect(dependencyOf('anthropic')).to.deep.equal({ type: 'marketplace', value: { marketplace_plugin_unique_identifier: 'langgenius/anthropic' }, current_identifier: null });
    expect(dependencyOf('@tessera/plugin-local/local')).to.deep.equal({ type: 'package', value: { plugin_unique_identifier: '@tessera/plugin-local' }, current_identifier: null });
    expect(dependencyOf('')).to.equal(undefined);
  });

  it('translates Dify-only values: advanced prompts, legacy tools, unsupported moderation, unknown form types', () => {
    const parsed = parseDsl(`
version: 0.6.0
kind: app
app: {name: Legacy, mode: agent-chat}
model_config:
  model: {provider: openai, name: gpt-4o-mini, mode: chat, completion_params: {}}
  prompt_type: advanced
  pre_prompt: ''
  chat_prompt_config:
    prompt:
    - {role: system, text: 'You are {{name}}.'}
  user_input_form:
  - text-input: {label: Name, variable: name, required: true}
  - external_data_tool: {label: Weather, variable: weather, type: api}
  sensitive_word_avoidance: {enabled: true, type: api, configs: {inputs_config: {enabled: true, preset_response: no}}}
  agent_mode:
    enabled: true
    prompt: 'Thought: ...'
    tools:
    - dataset: {enabled: true, id: 3f1c}
    - {provider_id: calculator, provider_type: plugin, tool_name: calculate, tool_parameters: {}, enabled: true, credential_id: abc}
`);
    expect(parsed.modelConfig.prompt_type).to.equal('simple');
    expect(parsed.modelConfig.pre_prompt).to.equal('You are {{name}}.');
    expect(parsed.modelConfig.user_input_form).to.have.length(1);
    expect(parsed.modelConfig.sensitive_word_avoidance.enabled).to.equal(false);
    expect(parsed.modelConfig.agent_mode.tools).to.deep.equal([{ provider_id: 'calculator', provider_type: 'plugin', tool_name: 'calculate', tool_parameters: {}, enabled: true }]);
    expect(parsed.warnings.join('\n')).to.match(/Advanced prompt/).and.match(/external_data_tool/).and.match(/type "api"/).and.match(/agent_mode.prompt/).and.match(/tools\[0\] \(dataset\)/);
  });

  it('ignores prototype-polluting keys and refuses YAML alias bombs', () => {
    const parsed = parseDsl('version: 0.6.0\nkind: app\napp: {name: P, mode: chat}\nmodel_config:\n  model:\n    __proto__: {polluted: true}\n    provider: openai\n    name: m\n');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(parsed.modelConfig.model)).to.equal(Object.prototype);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    expect(() => parseDsl(bomb)).to.throw(DslError, /Invalid YAML format/);
  });

  it('refuses to export workflow-mode apps', () => {
    expect(() => exportDsl({ name: 'W', mode: 'workflow', description: '', icon: '🤖', icon_type: 'emoji', icon_background: '#fff' }, defaultConfig('chat'))).to.throw(/workflow engine/);
  });
});

describe('app DSL URL fetching', () => {
  let server: Server;
  let base: string;
  const allowPrivate = ['127.0.0.1'];

  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/app.yml') return void res.writeHead(200, { 'Content-Type': 'text/yaml' }).end(fixture('chat-app.yml'));
      if (req.url === '/big.yml') return void res.writeHead(200).end('x'.repeat(5000));
      if (req.url === '/redirect') return void res.writeHead(302, { Location: '/app.yml' }).end();
      if (req.url === '/hang') return; // never answers
      res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('downloads a DSL file, following redirects', async () => {
    expect(await fetchDsl(`${base}/app.yml`, { allowPrivate })).to.equal(fixture('chat-app.yml'));
    expect(await fetchDsl(`${base}/redirect`, { allowPrivate })).to.equal(fixture('chat-app.yml'));
  });

  it('fails on HTTP errors, too-large files, timeouts and private addresses', async () => {
    const reason = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        expect(error).to.be.instanceOf(DslError);
        return (error as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(await reason(fetchDsl(`${base}/missing.yml`, { allowPrivate }))).to.match(/HTTP 404/);
    expect(await reason(fetchDsl(`${base}/big.yml`, { allowPrivate, maxBytes: 1000 }))).to.equal('File size exceeds the limit of 1000 bytes');
    expect(await reason(fetchDsl(`${base}/hang`, { allowPrivate, headersTimeoutMs: 200 }))).to.match(/timed out/);
    expect(await reason(fetchDsl(`${base}/app.yml`))).to.match(/loopback/);
  });
});
