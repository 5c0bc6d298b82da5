import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openPglite, PGLITE_TEMPLATE_DIR } from '../src/db/database.js';
import { TEST_ROOT, testTemplateDir } from './support/env.js';

/**
 * Mocha global setup: make sure one initdb-ed PGlite template exists, so no test
 * pays PGlite's 4–9 s initdb (the build prepares it; a bare checkout makes it here).
 */
export async function mochaGlobalSetup(): Promise<void> {
  if (existsSync(join(PGLITE_TEMPLATE_DIR, 'PG_VERSION'))) return;
  const dir = testTemplateDir();
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const pglite = await openPglite(dir, undefined);
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
  await pglite.close();
  void TEST_ROOT;
}
