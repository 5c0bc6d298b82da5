import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser, findFreePort, packument, publishTarball, RegistryHttpError, search } from '@tessera/marketplace';
import { freshDataDir } from '../support/env.js';
import { addMember, setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, type BuiltPlugin } from '../support/plugins.js';
import { MarketplaceRef } from '../../src/services.js';

/** The npm publish document for a built plugin (what `npm publish` PUTs). */
function publishBody(plugin: BuiltPlugin) {
  const tarball = `${plugin.name}-${plugin.version}.tgz`;
  return {
    _id: plugin.name,
    name: plugin.name,
    'dist-tags': { latest: plugin.version },
    versions: { [plugin.version]: { ...(JSON.parse(readFileSync(join(plugin.dir, 'package.json'), 'utf8')) as Record<string, unknown>), _id: `${plugin.name}@${plugin.version}`, dist: { tarball } } },
    _attachments: { [tarball]: { content_type: 'application/octet-stream', data: plugin.tarball.toString('base64'), length: plugin.tarball.length } },
  };
}

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
    await first.kernel.get(MarketplaceRef).ready();
    const url = first.kernel.get(MarketplaceRef).url!;
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
    await t.kernel.get(MarketplaceRef).ready();
    // Seeding is idempotent: the same versions, published once.
    expect(Object.keys((await packument(url, '@tessera/plugin-calculator'))!.versions)).to.deep.equal(['0.1.0']);
  });

  it('closes registration: only a token the kernel issues can publish (no self-registered account, no anonymous publish)', async () => {
    const dataDir = freshDataDir();
    const env = { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()), BUNDLED_PLUGINS_DIR: PLUGINS };
    t = await startKernel({ dataDir, env });
    await t.kernel.get(MarketplaceRef).ready();
    const url = t.kernel.get(MarketplaceRef).url!;
    // Seeding still works, with the kernel's own account.
    expect(Object.keys((await packument(url, '@tessera/plugin-calculator'))!.versions)).to.deep.equal(['0.1.0']);

    // Anyone who reaches 127.0.0.1:<port> tries `npm adduser`: no account, no token.
    const id = 'org.couchdb.user:eve';
    const adduser = await fetch(`${url}/-/user/${encodeURIComponent(id)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _id: id, name: 'eve', password: 'eve-password-1', type: 'user', roles: [] }) });
    expect(adduser.status).to.equal(409);
    expect(((await adduser.json()) as { token?: unknown }).token).to.equal(undefined);
    await createUser(url, 'eve', 'eve-password-1').then(() => expect.fail('eve registered'), (error: RegistryHttpError) => expect(error.status).to.equal(409));

    const probe = await buildProbePlugin('@eve/probe', '0.1.0');
    // A raw npm-protocol publish without a token, and with a made-up one.
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const refused = await fetch(`${url}/${encodeURIComponent('@eve/probe').replace('%40', '@')}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(publishBody(probe)) });
      expect(refused.status, String(authorization)).to.be.oneOf([401, 403]);
    }
    await publishTarball(url, 'not-a-token', probe.tarball).then(() => expect.fail('published with a made-up token'), (error: RegistryHttpError) => expect(error.status).to.be.oneOf([401, 403]));
    expect(await packument(url, '@eve/probe')).to.equal(undefined);

    // What an install admin gets (the console route that calls it comes later): a new account and its token.
    const issued = await t.kernel.get(MarketplaceRef).issuePublishToken('acme');
    expect(issued.name).to.equal('acme');
    expect(await publishTarball(url, issued.token, probe.tarball)).to.deep.equal({ name: '@eve/probe', version: '0.1.0' });
    expect(Object.keys((await packument(url, '@eve/probe'))!.versions)).to.deep.equal(['0.1.0']);
    // A name is issued once, and the seed account's name is taken.
    for (const name of ['acme', 'tessera']) {
      await t.kernel.get(MarketplaceRef).issuePublishToken(name).then(() => expect.fail(`${name} issued twice`), (error: Error) => expect(error.message).to.match(/already exists/));
    }
    await t.kernel.stop();

    // After a restart the kernel's seed account still logs in (seeding runs and finds everything there).
    t = await startKernel({ dataDir, env });
    await t.kernel.get(MarketplaceRef).ready();
    expect(t.kernel.get(MarketplaceRef).status()).to.equal(`ok (embedded ${url})`);
    const v2 = await buildProbePlugin('@eve/probe', '0.2.0');
    await publishTarball(url, issued.token, v2.tarball);
    expect(Object.keys((await packument(url, '@eve/probe'))!.versions)).to.deep.equal(['0.1.0', '0.2.0']);
  });

  it('issues a publish token to an install admin through the console, and to nobody else', async () => {
    const env = { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()), BUNDLED_PLUGINS_DIR: '' };
    t = await startKernel({ env });
    const { token: owner } = await setupOwner(t.api);
    const { token: editor } = await addMember(t.api, owner, 'ed@example.com', 'admin');
    const refused = await t.api('POST', '/console/api/marketplace/publish-tokens', { token: editor, body: { name: 'ed' } });
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal('install_permission_required');
    const issued = await t.api('POST', '/console/api/marketplace/publish-tokens', { token: owner, body: { name: 'olive-tools' } });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(201);
    expect(issued.body).to.include({ name: 'olive-tools', registry: t.kernel.get(MarketplaceRef).url });
    const probe = await buildProbePlugin('@olive/probe', '0.1.0');
    expect(await publishTarball(t.kernel.get(MarketplaceRef).url!, issued.body.token, probe.tarball)).to.deep.equal({ name: '@olive/probe', version: '0.1.0' });
    // The first-party scope stays the seed account's, whatever tokens are issued.
    const shadow = await buildProbePlugin('@tessera/plugin-openai', '99.0.0');
    await publishTarball(t.kernel.get(MarketplaceRef).url!, issued.body.token, shadow.tarball).then(() => expect.fail('published into @tessera/'), (error: RegistryHttpError) => expect(error.status).to.be.oneOf([401, 403]));
    const again = await t.api('POST', '/console/api/marketplace/publish-tokens', { token: owner, body: { name: 'olive-tools' } });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal('publisher_account_exists');
    expect((await t.api('POST', '/console/api/marketplace/publish-tokens', { token: owner, body: { name: '../etc' } })).status).to.equal(400);
  });

  it('issues no publish token without an embedded registry', async () => {
    t = await startKernel({ env: { MARKETPLACE: 'external', MARKETPLACE_URL: 'http://registry.example.test:4873' } });
    await t.kernel.get(MarketplaceRef).issuePublishToken('acme').then(() => expect.fail('issued'), (error: Error) => expect(error.message).to.match(/embedded/));
  });

  it('starts no registry with MARKETPLACE_URL set (external)', async () => {
    t = await startKernel({ env: { MARKETPLACE: 'external', MARKETPLACE_URL: 'http://registry.example.test:4873' } });
    expect(t.kernel.get(MarketplaceRef).mode).to.equal('external');
    expect((await t.api('GET', '/ready')).body.checks.marketplace).to.equal('external http://registry.example.test:4873');
  });
});
