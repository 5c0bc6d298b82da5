import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort, packument, search } from '@tessera/marketplace';
import { freshDataDir } from '../support/env.js';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';

const PLUGINS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins');

describe('the embedded marketplace', function () {
  this.timeout(60_000);
  let t: TestKernel | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('starts a registry beside the kernel, seeds the first-party plugins, and keeps them across a restart', async () => {
    const dataDir = freshDataDir();
    const port = await findFreePort();
    const env = { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(port), BUNDLED_PLUGINS_DIR: PLUGINS };
    const first = await startKernel({ dataDir, env });
    await first.kernel.marketplace.ready();
    const url = first.kernel.marketplace.url!;
    expect(url).to.equal(`http://127.0.0.1:${port}`);
    const found = await search(url, 'tessera');
    const names = found.objects.map((o) => o.package.name);
    expect(names).to.include.members(['@tessera/plugin-calculator', '@tessera/plugin-openai', '@tessera/plugin-local']);
    const calculator = await packument(url, '@tessera/plugin-calculator');
    expect(Object.keys(calculator!.versions)).to.deep.equal(['0.1.0']);
    expect((await first.api('GET', '/ready')).body.checks.marketplace).to.equal(`ok (embedded ${url})`);
    // Seeded plugins are signed with this install's own key, which it trusts: they install like any other.
    const { token } = await setupOwner(first.api);
    // The README travels with the metadata, as with `npm publish`, so the catalog shows it.
    const detail = await first.api('GET', `/console/api/marketplace/plugins/${encodeURIComponent('@tessera/plugin-calculator')}`, { token });
    expect(detail.body.readme).to.contain('calculat');
    const installed = await first.api('POST', `/console/api/marketplace/plugins/${encodeURIComponent('@tessera/plugin-calculator')}/install`, { token, body: { granted_permissions: {} } });
    expect(installed.status).to.equal(201);
    const sum = await first.api('POST', `/console/api/tools/${encodeURIComponent('@tessera/plugin-calculator')}/calculate/invoke`, { token, body: { arguments: { expression: '6 * 7' } } });
    expect(sum.body.result.result).to.equal(42);
    await first.kernel.stop();

    t = await startKernel({ dataDir, env });
    await t.kernel.marketplace.ready();
    // Seeding is idempotent: the same versions, published once.
    expect(Object.keys((await packument(url, '@tessera/plugin-calculator'))!.versions)).to.deep.equal(['0.1.0']);
  });

  it('starts no registry with MARKETPLACE_URL set (external)', async () => {
    t = await startKernel({ env: { MARKETPLACE: 'external', MARKETPLACE_URL: 'http://registry.example.test:4873' } });
    expect(t.kernel.marketplace.mode).to.equal('external');
    expect((await t.api('GET', '/ready')).body.checks.marketplace).to.equal('external http://registry.example.test:4873');
  });
});
