import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrations } from '../../src/db/migrations/index.js';
import { describeWith, freshDataDir, freshRedisPrefix, freshSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function tessera(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', MARKETPLACE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = tessera(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

async function waitForLine(child: ChildProcess, pattern: RegExp, ms = 20_000): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in: ${out}`)), ms);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

describe('tessera CLI', () => {
  it('stops start-up with one line naming a bad variable and exit code 1', async () => {
    const { code, stderr } = await run(['start'], { DATA_DIR: freshDataDir(), PORT: 'eighty' });
    expect(code).to.equal(1);
    expect(stderr).to.equal('tessera: invalid configuration: PORT: must be a whole number, got "eighty"\n');
  });

  it('answers an unknown command with exit code 2 and a hint', async () => {
    const { code, stderr } = await run(['serve'], { DATA_DIR: freshDataDir() });
    expect(code).to.equal(2);
    expect(stderr).to.equal('tessera: unknown command "serve" (see tessera --help)\n');
  });

  it('refuses to start a worker without REDIS_URL', async () => {
    const { code, stderr } = await run(['worker'], { DATA_DIR: freshDataDir() });
    expect(code).to.equal(1);
    expect(stderr).to.match(/^tessera: worker needs REDIS_URL/);
  });

  it('lists, reverts and applies migrations on the embedded database', async function () {
    this.timeout(60_000);
    const env = { DATA_DIR: freshDataDir() };
    // A new data folder starts from the build's template, which is already migrated.
    const all = migrations.map((m) => m.name);
    expect((await run(['migrate', 'status'], env)).stdout).to.equal(all.map((name) => `applied  ${name}\n`).join(''));
    // down reverts the last batch; the template may hold one batch or several.
    const reverted: string[] = [];
    for (let out = ''; out !== 'nothing to revert\n'; ) {
      out = (await run(['migrate', 'down'], env)).stdout;
      if (out.startsWith('reverted: ')) reverted.push(...out.slice('reverted: '.length).trim().split(', '));
    }
    expect(reverted).to.deep.equal([...all].reverse());
    expect((await run(['migrate', 'status'], env)).stdout).to.equal(all.map((name) => `pending  ${name}\n`).join(''));
    expect((await run(['migrate', 'up'], env)).stdout).to.equal(`applied: ${all.join(', ')}\n`);
    expect((await run(['migrate', 'up'], env)).stdout).to.equal('already up to date\n');
    expect((await run(['migrate', 'sideways'], env)).code).to.equal(2);
  });

  it('creates the owner with admin create, who can then log in over HTTP', async function () {
    this.timeout(60_000);
    const env = { DATA_DIR: freshDataDir(), PORT: '0', LOG_LEVEL: 'info' };
    const created = await run(['admin', 'create', '--email', 'root@example.com', '--password', 'a-long-password-1', '--name', 'Root'], env);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/^created owner root@example\.com in workspace [0-9a-f-]{36}\n$/);
    const missing = await run(['admin', 'create', '--email', 'x@example.com'], env);
    expect(missing.code).to.equal(2);

    const server = tessera(['start'], env);
    try {
      const line = await waitForLine(server, /Tessera listening on/);
      const url = (JSON.parse(line) as { url: string }).url;
      const login = await fetch(`${url}/console/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'root@example.com', password: 'a-long-password-1' }) });
      expect(login.status).to.equal(200);
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  it('serves /health and /ready, logs a boot report, and exits 0 on SIGTERM', async function () {
    this.timeout(60_000);
    const server = tessera(['start'], { DATA_DIR: freshDataDir(), PORT: '0' });
    const line = await waitForLine(server, /Tessera listening on/);
    const log = JSON.parse(line) as { url: string; boot: { totalMs: number; modules: Array<{ name: string; ms: number }> } };
    expect(log.boot.modules.map((m) => m.name)).to.deep.equal(['database', 'migrations', 'events', 'jobs', 'identity', 'apps', 'plugins', 'models', 'conversations', 'files', 'annotations', 'chat', 'runs', 'service-api', 'openai-api', 'marketplace', 'http']);
    expect((await fetch(`${log.url}/health`)).status).to.equal(200);
    const ready = await fetch(`${log.url}/ready`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).to.include({ database: 'ok', migrations: 'ok' });
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    expect(code).to.equal(0);
  });
});

describeWith('redis', 'tessera worker', () => {
  it('boots against PostgreSQL and Redis, reports ready, and exits 0 on SIGTERM', async function () {
    if (!TEST_DATABASE_URL) this.skip(); // needs a PostgreSQL server as well: the second pass of .ci/run sets both
    this.timeout(60_000);
    const schema = freshSchema();
    const worker = tessera(['worker'], { DATA_DIR: freshDataDir(), DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema, REDIS_URL: TEST_REDIS_URL!, REDIS_PREFIX: freshRedisPrefix() });
    try {
      const line = await waitForLine(worker, /Tessera worker ready/);
      expect(JSON.parse(line)).to.include({ role: 'worker', database: 'postgres' });
      worker.kill('SIGTERM');
      const [code] = await once(worker, 'exit');
      expect(code).to.equal(0);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
