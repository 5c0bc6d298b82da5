import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openPglite, PGLITE_TEMPLATE_DIR } from './database.js';

/**
 * Build step: runs PGlite's initdb once (4–9 s) into a template folder, so a
 * fresh `npm start` and every test copy it instead of paying initdb again.
 */
async function prepare(dir: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  const pglite = await openPglite(dir, undefined);
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
  await pglite.close();
  process.stdout.write(`prepared PGlite template in ${dir} (${Math.round(performance.now() - started)} ms)\n`);
}

await prepare(process.argv[2] ?? PGLITE_TEMPLATE_DIR);
