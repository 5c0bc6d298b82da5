import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateUp, migrationStatus, openDatabase } from '../../src/db/database.js';
import { freshDataDir, testTemplateDir } from '../support/env.js';

const CHILD = fileURLToPath(new URL('../support/pglite-copy-child.ts', import.meta.url));

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1;
  return n;
}

/** Runs a first start in a child process and SIGKILLs it once `pauseAfter` files of the template are copied. */
async function killMidCopy(dir: string, templateDir: string, pauseAfter: number): Promise<void> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CHILD, dir, templateDir, String(pauseAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('paused\n') && resolve());
    void exited.then(() => reject(new Error(`the child ended before pausing: ${out}`)));
  });
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  expect({ code, signal }).to.deep.equal({ code: null, signal: 'SIGKILL' });
}

describe('openPglite: first start from the template (issue #14)', () => {
  const templateDir = testTemplateDir();
  const files = countFiles(templateDir);

  for (const share of [0.1, 0.5, 0.9]) {
    it(`a first start killed with SIGKILL after ${share * 100}% of the copy leaves no half database: the next start copies again and opens`, async function () {
      this.timeout(60_000);
      const dataDir = freshDataDir();
      const dir = join(dataDir, 'db');
      await killMidCopy(dir, templateDir, Math.max(1, Math.floor(files * share)));
      // Nothing half-copied at the target: the copy goes to a folder beside it.
      expect(existsSync(join(dir, 'PG_VERSION')), 'PG_VERSION at the target after the kill').to.equal(false);

      const db = await openDatabase({ pgliteDir: dir, templateDir });
      try {
        expect(await migrateUp(db.knex)).to.be.an('array');
        expect((await migrationStatus(db.knex)).pending).to.deep.equal([]);
        expect(Number((await db.knex('accounts').count({ n: '*' }))[0]!.n)).to.equal(0);
        await db.knex.raw('create table copy_check (id int)');
      } finally {
        await db.close();
      }
      // The temp folder of the killed copy is gone; only the database remains.
      expect(readdirSync(dataDir)).to.deep.equal(['db']);
      expect(countFiles(dir)).to.be.greaterThanOrEqual(files);
      expect(statSync(dir).isDirectory()).to.equal(true);
    });
  }
});
