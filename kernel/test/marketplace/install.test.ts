import { expect } from 'chai';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, publishTarball } from '@tessera/marketplace';
import { generatePublisherKeyPair, signPackage, tarballIntegrity, type PublisherKeyPair } from '@tessera/sdk/publishing';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, type BuiltPlugin } from '../support/plugins.js';
import { MarketplaceRef } from '../../src/services.js';

describe('installing from the marketplace through the console API', function () {
  this.timeout(60_000);
  let t: TestKernel;
  let token: string;
  let url: string;
  let author: string;
  let v1: BuiltPlugin;
  let v2: BuiltPlugin;
  let acme: PublisherKeyPair;
  const signed = (plugin: BuiltPlugin, keys = acme) => signPackage(keys.privateKeyPem, plugin.name, plugin.version, tarballIntegrity(plugin.tarball));

  before(async () => {
    [v1, v2] = await Promise.all([buildProbePlugin('@acme/probe', '0.1.0'), buildProbePlugin('@acme/probe', '0.2.0')]);
  });
  beforeEach(async () => {
    t = await startKernel({ env: { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()) } });
    ({ token } = await setupOwner(t.api));
    await t.kernel.get(MarketplaceRef).ready();
    url = t.kernel.get(MarketplaceRef).url!;
    author = (await t.kernel.get(MarketplaceRef).issuePublishToken('acme')).token;
    acme = generatePublisherKeyPair();
    await publishTarball(url, author, v1.tarball, signed(v1));
    // The admin trusts acme's key (as printed by tessera-plugin keygen).
    const trusted = await t.api('POST', '/console/api/marketplace/publishers', { token, body: { public_key: acme.publicKey, name: 'Acme' } });
    expect(trusted.status).to.equal(201);
  });
  afterEach(() => t.stop());

  const api = (method: string, path: string, body?: unknown) => t.api(method, `/console/api${path}`, { token, ...(body === undefined ? {} : { body }) });

  it('searches by text and kind, and shows a plugin’s detail from its manifest', async () => {
    const tools = await api('GET', '/marketplace/plugins?q=probe&kind=tool');
    expect(tools.status).to.equal(200);
    expect(tools.body.data.map((p: { name: string }) => p.name)).to.deep.equal(['@acme/probe']);
    expect(tools.body.data[0]).to.deep.include({ version: '0.1.0', runtime: 'isolate', installed_version: null });
    expect(tools.body.data[0].kinds).to.include.members(['tool', 'model-provider']);
    expect((await api('GET', '/marketplace/plugins?q=probe&kind=vector-store')).body.data).to.deep.equal([]);
    expect((await api('GET', '/marketplace/plugins?kind=spaceship')).status).to.equal(400);
    const detail = await api('GET', `/marketplace/plugins/${encodeURIComponent('@acme/probe')}`);
    expect(detail.body).to.deep.include({ name: '@acme/probe', versions: ['0.1.0'] });
    expect(detail.body.permissions.network.hosts).to.deep.equal(['127.0.0.1', 'api.example.test']);
  });

  it('installs a version with the granted permissions, then upgrades and rolls back', async () => {
    const installed = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/probe')}/install`, { granted_permissions: {} });
    expect(installed.status).to.equal(201);
    expect(installed.body).to.deep.include({ enabled: true });
    expect(installed.body.plugin.integrity).to.match(/^sha512-/);
    const echo = () => api('POST', `/tools/${encodeURIComponent('@acme/probe')}/echo/invoke`, { arguments: {} });
    expect((await echo()).body.result.version).to.equal('0.1.0');

    await publishTarball(url, author, v2.tarball, signed(v2));
    const upgraded = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/probe')}/install`, { version: '0.2.0', granted_permissions: {} });
    expect(upgraded.status).to.equal(201);
    expect((await echo()).body.result.version).to.equal('0.2.0');
    await api('POST', `/plugins/${encodeURIComponent('@acme/probe')}/rollback`);
    expect((await echo()).body.result.version).to.equal('0.1.0');
  });

  it('refuses an unsigned plugin unless an admin allows unsigned ones', async () => {
    const unsigned = await buildProbePlugin('@acme/unsigned', '0.1.0');
    await publishTarball(url, author, unsigned.tarball);
    const refused = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/unsigned')}/install`, {});
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal('plugin_unsigned');
    expect((await api('PUT', '/marketplace/settings', { allow_unsigned: true })).body).to.deep.equal({ allow_unsigned: true });
    expect((await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/unsigned')}/install`, {})).status).to.equal(201);
  });

  it('refuses a plugin signed by a publisher this install does not trust, or with a signature for other contents', async () => {
    const stranger = generatePublisherKeyPair();
    const foreign = await buildProbePlugin('@acme/foreign', '0.1.0');
    await publishTarball(url, author, foreign.tarball, signed(foreign, stranger));
    const untrusted = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/foreign')}/install`, {});
    expect(untrusted.status).to.equal(403);
    expect(untrusted.body.code).to.equal('publisher_not_trusted');
    const forged = await buildProbePlugin('@acme/forged', '0.1.0');
    // A real acme signature, but of another tarball.
    await publishTarball(url, author, forged.tarball, signPackage(acme.privateKeyPem, '@acme/forged', '0.1.0', tarballIntegrity(v1.tarball)));
    const mismatch = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/forged')}/install`, {});
    expect(mismatch.status).to.equal(400);
    expect(mismatch.body.code).to.equal('signature_invalid');
  });

  it('refuses a tarball that does not match the integrity recorded at publish time', async () => {
    // Tamper with the stored tarball behind the registry's back.
    const dir = join(t.dataDir, 'marketplace', 'storage', '@acme', 'probe');
    const file = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, file), v2.tarball);
    const res = await api('POST', `/marketplace/plugins/${encodeURIComponent('@acme/probe')}/install`, {});
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('integrity_mismatch');
    expect((await api('GET', '/plugins')).body.data).to.deep.equal([]);
  });
});

describe('without a marketplace', () => {
  it('answers marketplace calls with 503 marketplace_off', async () => {
    const t = await startKernel();
    try {
      const { token } = await setupOwner(t.api);
      const res = await t.api('GET', '/console/api/marketplace/plugins', { token });
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('marketplace_off');
    } finally {
      await t.stop();
    }
  });
});
