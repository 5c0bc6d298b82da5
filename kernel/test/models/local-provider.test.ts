import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { ModelRuntimeRef } from '../../src/services.js';

const PLUGINS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins');

describe('the local provider on the embedded default', function () {
  this.timeout(30_000);
  let t: TestKernel;
  let token: string;

  beforeEach(async () => {
    // As `npm start` does: the first-party plugins are installed at start.
    t = await startKernel({ env: { BUNDLED_PLUGINS_DIR: PLUGINS } });
    ({ token } = await setupOwner(t.api));
  });
  afterEach(() => t.stop());

  it('needs no configuration: its embedding and rerank models are listed and answer with no network', async () => {
    const providers = await t.api('GET', '/console/api/workspaces/current/model-providers', { token });
    expect(providers.body.data.find((p: { provider: string }) => p.provider === 'local')).to.include({ status: 'active' });
    const embeddings = await t.api('GET', '/console/api/workspaces/current/models/model-types/text-embedding', { token });
    const local = embeddings.body.data.find((p: { provider: string }) => p.provider === 'local');
    expect(local.models.map((m: { model: string }) => m.model)).to.include('hashed-ngrams-384');
    const workspaceId = (await t.api('GET', '/console/api/workspaces/current', { token })).body.id;
    const embedded = await t.kernel.get(ModelRuntimeRef).embed(workspaceId, 'local', { model: 'hashed-ngrams-384', input: ['the cat sat', 'a cat sat down'] });
    expect(embedded.vectors).to.have.length(2);
    expect(embedded.vectors[0]).to.have.length(384);
    const ranked = await t.kernel.get(ModelRuntimeRef).rerank(workspaceId, 'local', { model: 'bm25', query: 'cat', documents: ['dogs bark', 'the cat sat'] });
    expect(ranked.results[0]!.index).to.equal(1);
  });

  it('refuses chat honestly: there is no local chat model', async () => {
    const workspaceId = (await t.api('GET', '/console/api/workspaces/current', { token })).body.id;
    let error: unknown;
    try {
      for await (const _ of t.kernel.get(ModelRuntimeRef).chat(workspaceId, 'local', { model: 'anything', messages: [{ role: 'user', content: 'hi' }] })) void _;
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).to.equal('plugin_not_supported');
  });
});
