import { expect } from 'chai';
import { DatabaseRef } from '../../src/services.js';
import { createPublishedApp, startAppKernel, stopAppKernel, type AppKernel } from '../support/apps.js';

/**
 * Issue #14: `keywords: 5` made every chat of its app a 500. The config schema
 * now refuses such a value on write, but a config stored before it (or edited
 * in the database) must still answer a coded 4xx naming the field, not a 500.
 */
describe('an app whose stored config breaks the schema (#14)', function () {
  this.timeout(30_000);
  let k: AppKernel;
  before(async () => {
    k = await startAppKernel();
  });
  after(() => stopAppKernel(k.t, k.upstream));

  it('answers 400 app_unavailable naming the field, blocking and streaming', async () => {
    const app = await createPublishedApp(k.t, k.token, 'chat', {
      sensitive_word_avoidance: { enabled: true, type: 'keywords', configs: { keywords: 'forbidden', inputs_config: { enabled: true, preset_response: 'No.' }, outputs_config: { enabled: false, preset_response: '' } } },
    });
    const knex = k.t.kernel.get(DatabaseRef).knex;
    const version = (await knex('apps').where({ id: app.id }).first('published_version_id')) as { published_version_id: string };
    const row = (await knex('app_versions').where({ id: version.published_version_id }).first('config')) as { config: string };
    const broken = JSON.parse(row.config) as { sensitive_word_avoidance: { configs: { keywords: unknown } } };
    broken.sensitive_word_avoidance.configs.keywords = 5;
    await knex('app_versions').where({ id: version.published_version_id }).update({ config: JSON.stringify(broken) });
    // No message was sent yet, so the published config was never cached: the next one reads the broken row.
    for (const mode of ['blocking', 'streaming']) {
      const res = await k.t.api('POST', '/v1/chat-messages', { token: app.key, body: { inputs: {}, query: 'Hello', user: 'u1', response_mode: mode } });
      expect(res.status, `${mode}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.code).to.equal('app_unavailable');
      expect(res.body.message).to.include('sensitive_word_avoidance.configs.keywords');
    }
  });
});
