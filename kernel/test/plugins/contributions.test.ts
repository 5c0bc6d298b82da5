import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ContributionsRef, PackagesRef, PluginHostRef } from '../../src/services.js';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildInlinePlugin, type BuiltPlugin } from '../support/plugins.js';

const provider = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: id, description: `Provider ${id}`, credentialsSchema: { type: 'object', properties: {} }, modelTypes: ['llm'], ...extra });

/** A plugin that contributes model providers (and no code worth running: its bundle throws if loaded). */
async function providerPlugin(name: string, providers: Array<Record<string, unknown>>): Promise<BuiltPlugin> {
  const built = await buildInlinePlugin(name, {}, (m) => void (m.contributes = { modelProviders: providers }));
  writeFileSync(join(built.dir, 'dist', 'plugin.js'), "throw new Error('plugin code ran');\n");
  return built;
}

describe('the contributions registry', () => {
  let t: TestKernel;
  beforeEach(async () => {
    t = await startKernel();
  });
  afterEach(() => t.stop());

  it('lists every kind from manifests alone: a bundle that throws when loaded is never run', async () => {
    const built = await providerPlugin('@test/throws', [provider('throws-llm')]);
    await t.kernel.get(PackagesRef).installFolder(built.dir, 'folder', null);
    const contributions = t.kernel.get(ContributionsRef);
    const providers = await contributions.list('model-provider');
    expect(providers.map((p) => `${p.plugin}/${p.id}`)).to.deep.equal(['@test/throws/throws-llm']);
    expect(providers[0]!.entry.modelTypes).to.deep.equal(['llm']);
    expect(await contributions.list('tool')).to.deep.equal([]);
  });

  it("resolves Dify's qualified ids and manifest aliases, prefers the first-party plugin for a shared id, and 404s the rest", async () => {
    const packages = t.kernel.get(PackagesRef);
    // '@test/a' sorts first; '@test/b' is installed as bundled, i.e. first-party.
    await packages.installFolder((await providerPlugin('@test/a', [provider('acme', { aliases: ['acme_compatible'] })])).dir, 'folder', null);
    await packages.installFolder((await providerPlugin('@test/b', [provider('acme')])).dir, 'bundled', null);
    const contributions = t.kernel.get(ContributionsRef);
    const notFound = { code: 'provider_not_found', noun: 'model provider' } as const;
    expect((await contributions.resolve('model-provider', 'acme', notFound)).plugin).to.equal('@test/b');
    expect((await contributions.resolve('model-provider', 'langgenius/acme/acme', notFound)).plugin).to.equal('@test/b');
    expect((await contributions.resolve('model-provider', '@test/a/acme', notFound)).plugin).to.equal('@test/a');
    expect((await contributions.resolve('model-provider', 'langgenius/acme_compatible/acme_compatible', notFound)).plugin).to.equal('@test/a');
    const missing = await contributions.resolve('model-provider', 'nobody', notFound).catch((e: Error & { code?: string; status?: number }) => e);
    expect(missing).to.include({ code: 'provider_not_found', status: 404, message: 'No installed plugin provides the model provider "nobody".' });
  });

  it('calls a tool through its typed proxy in the version the workspace enabled, and 404s a tool only a newer version has', async () => {
    const { token, workspaceId } = await setupOwner(t.api);
    const packages = t.kernel.get(PackagesRef);
    const host = t.kernel.get(PluginHostRef);
    const verify = (pkg: Parameters<typeof host.verify>[0], code: string) => host.verify(pkg, code);
    const v1 = await buildInlinePlugin('@test/tools', { echo: '(args) => ({ version: 1, args })' });
    await packages.installFolder(v1.dir, 'folder', null, null, verify);
    expect((await t.api('POST', `/console/api/plugins/${encodeURIComponent('@test/tools')}/enable`, { token, body: { granted_permissions: {} } })).status).to.equal(200);
    const v2 = await buildInlinePlugin('@test/tools', { echo: '(args) => ({ version: 2, args })', extra: '() => "extra"' }, () => undefined, '0.2.0');
    await packages.installFolder(v2.dir, 'folder', null, null, verify);

    const contributions = t.kernel.get(ContributionsRef);
    expect((await contributions.list('tool')).map((c) => c.id)).to.deep.equal(['echo', 'extra']);
    const echo = await contributions.enabled('tool', workspaceId, '@test/tools', 'echo');
    expect(echo.pkg.version).to.equal('0.1.0');
    expect(await contributions.proxy(echo, { workspaceId }).invoke({ n: 1 })).to.deep.equal({ version: 1, args: { n: 1 } });
    const extra = await contributions.invokeTool(workspaceId, '@test/tools', 'extra', {}).catch((e: Error & { code?: string; status?: number }) => e);
    expect(extra).to.include({ code: 'tool_not_found', status: 404, message: 'Plugin @test/tools has no tool "extra".' });
  });
});
