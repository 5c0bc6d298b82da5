import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { uploadPlugin } from '../support/plugins.js';
import { findFreePort } from '@tessera/marketplace';
import { MarketplaceRef } from '../../src/services.js';

/** The real `tessera-plugin` executable, as `npx tessera-plugin` runs it. */
const CLI = fileURLToPath(new URL('../../../sdk/dist/cli/main.js', import.meta.url));
/**
 * Scaffolds go inside the repository so that `@tessera/sdk`, typebox, mocha and
 * tsx resolve from its node_modules, as they would from a plugin's own
 * `npm install`. Not under `kernel/`: mocha looks for a config file in every
 * parent folder, and the kernel's `.mocharc.json` (with its `test/hooks.ts`)
 * would be picked up by the scaffold's `tessera-plugin test`. `.tessera-test/`
 * is git-ignored.
 */
const SCRATCH = fileURLToPath(new URL('../../../.tessera-test/', import.meta.url));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tessera-plugin <args>` in `cwd` and resolves with its exit code and output. */
function tesseraPlugin(cwd: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--no-node-snapshot', CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

function explain(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

describe('a plugin author’s journey: scaffold → build → test → pack → upload → enable → invoke', function () {
  this.timeout(120_000);
  let tmp: string;
  let t: TestKernel | undefined;

  before(() => {
    tmp = join(SCRATCH, `author-journey-${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp, { recursive: true });
  });
  after(async () => {
    await t?.stop();
    rmSync(tmp, { recursive: true, force: true });
    try {
      rmdirSync(SCRATCH); // only when empty: another run may be using it
    } catch {
      /* not empty or already gone */
    }
  });

  it('scaffolds a tool plugin with the CLI, passes its own tests in the isolate, and its tool answers through the console API', async () => {
    const init = await tesseraPlugin(tmp, 'init', 'greeter', '--kind', 'tool', '--dir', 'greeter');
    expect(init.code, explain(init)).to.equal(0);
    expect(init.stdout).to.contain('created tool plugin greeter in greeter');
    const dir = join(tmp, 'greeter');

    const build = await tesseraPlugin(dir, 'build');
    expect(build.code, explain(build)).to.equal(0);
    expect(build.stdout).to.match(/built dist\/plugin\.js \(.+\) from src\/plugin\.ts for greeter@0\.1\.0/);
    expect(existsSync(join(dir, 'dist', 'plugin.js'))).to.equal(true);

    // The scaffold's own tests, run through createTestHost in an isolate.
    const test = await tesseraPlugin(dir, 'test');
    expect(test.code, explain(test)).to.equal(0);
    expect(test.stdout).to.match(/\b3 passing\b/);
    expect(test.stdout).to.not.match(/\bfailing\b/);

    const pack = await tesseraPlugin(dir, 'pack');
    expect(pack.code, explain(pack)).to.equal(0);
    const tarball = /^tarball: (.+)$/m.exec(pack.stdout)?.[1];
    expect(tarball, explain(pack)).to.be.a('string');
    expect(existsSync(tarball!)).to.equal(true);

    t = await startKernel();
    const { token } = await setupOwner(t.api);

    const upload = await uploadPlugin(t.api, token, readFileSync(tarball!), 'greeter-0.1.0.tgz');
    expect(upload.status, JSON.stringify(upload.body)).to.equal(201);
    expect(upload.body.plugin).to.include({ name: 'greeter', version: '0.1.0', runtime: 'isolate' });
    expect(upload.body.plugin.contributes.tools.map((tool: { id: string }) => tool.id)).to.deep.equal(['greet']);
    expect(upload.body.plugin.permissions).to.deep.equal({});

    const enable = await t.api('POST', `/console/api/plugins/${encodeURIComponent('greeter')}/enable`, { token, body: { granted_permissions: {} } });
    expect(enable.status, JSON.stringify(enable.body)).to.equal(200);
    expect(enable.body).to.deep.equal({ result: 'success', installation: { version: '0.1.0', enabled: true, granted_permissions: {} } });

    const tools = await t.api('GET', '/console/api/tools', { token });
    expect(tools.body.data.map((tool: { plugin: string; id: string }) => `${tool.plugin}/${tool.id}`)).to.deep.equal(['greeter/greet']);

    const invoke = (args: unknown) => t!.api('POST', `/console/api/tools/${encodeURIComponent('greeter')}/greet/invoke`, { token, body: { arguments: args } });
    const greeted = await invoke({ name: 'Ada' });
    expect(greeted.status, JSON.stringify(greeted.body)).to.equal(200);
    expect(greeted.body).to.deep.equal({ result: { greeting: 'Hello, Ada!' } });
    const shouted = await invoke({ name: 'Ada', shout: true });
    expect(shouted.body).to.deep.equal({ result: { greeting: 'HELLO, ADA!' } });
  });

  it('refuses to build a plugin that imports a Node built-in, naming the import', async () => {
    const init = await tesseraPlugin(tmp, 'init', 'uses-fs', '--kind', 'tool', '--dir', 'uses-fs');
    expect(init.code, explain(init)).to.equal(0);
    const dir = join(tmp, 'uses-fs');
    const entry = join(dir, 'src', 'plugin.ts');
    // The import is used: TypeScript semantics drop an import that is never used, and then nothing reaches the bundle.
    writeFileSync(entry, `import { readFileSync } from 'node:fs';\n${readFileSync(entry, 'utf8')}\nexport const readConfig = () => readFileSync('/etc/passwd', 'utf8');\n`);

    const build = await tesseraPlugin(dir, 'build');
    expect(build.code, explain(build)).to.equal(1);
    expect(build.stderr).to.contain('tessera-plugin: src/plugin.ts imports the Node built-in "node:fs"; plugins run in an isolate without Node APIs');
    expect(existsSync(join(dir, 'dist', 'plugin.js'))).to.equal(false);
  });

  it('publishes a signed plugin to the marketplace with keygen and publish; an admin who trusts the key installs it', async () => {
    const init = await tesseraPlugin(tmp, 'init', 'signed-greeter', '--kind', 'tool', '--dir', 'signed-greeter');
    expect(init.code, explain(init)).to.equal(0);
    const dir = join(tmp, 'signed-greeter');
    const keygen = await tesseraPlugin(dir, 'keygen', '--out', 'publisher.key');
    expect(keygen.code, explain(keygen)).to.equal(0);
    const publicKey = readFileSync(join(dir, 'publisher.key.pub'), 'utf8').trim();
    expect(keygen.stdout).to.contain(publicKey);

    await t?.stop();
    t = await startKernel({ env: { MARKETPLACE: 'embedded', MARKETPLACE_PORT: String(await findFreePort()) } });
    await t.kernel.get(MarketplaceRef).ready();
    const url = t.kernel.get(MarketplaceRef).url!;
    const registryToken = (await t.kernel.get(MarketplaceRef).issuePublishToken('author')).token;

    const publish = await tesseraPlugin(dir, 'publish', '--registry', url, '--token', registryToken, '--key', 'publisher.key');
    expect(publish.code, explain(publish)).to.equal(0);
    expect(publish.stdout).to.match(/published signed-greeter@0\.1\.0 signed by key [0-9a-f]{16}/);

    const { token } = await setupOwner(t.api);
    const api = (method: string, path: string, body?: unknown) => t!.api(method, `/console/api${path}`, { token, ...(body === undefined ? {} : { body }) });
    expect((await api('POST', '/marketplace/plugins/signed-greeter/install', { granted_permissions: {} })).body.code).to.equal('publisher_not_trusted');
    expect((await api('POST', '/marketplace/publishers', { public_key: publicKey, name: 'Author' })).status).to.equal(201);
    const installed = await api('POST', '/marketplace/plugins/signed-greeter/install', { granted_permissions: {} });
    expect(installed.status, JSON.stringify(installed.body)).to.equal(201);
    const greeted = await api('POST', '/tools/signed-greeter/greet/invoke', { arguments: { name: 'Grace' } });
    expect(greeted.body).to.deep.equal({ result: { greeting: 'Hello, Grace!' } });
  });
});
