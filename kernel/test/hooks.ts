import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGLITE_TEMPLATE_DIR, preparePgliteTemplate } from '../src/db/database.js';
import { testTemplateDir } from './support/env.js';

/**
 * Mocha global setup: make sure one initdb-ed, migrated PGlite template exists,
 * so no test pays PGlite's 4–9 s initdb (the build prepares it; a bare checkout
 * makes it here). It is brought up to the current migrations either way.
 */
export async function mochaGlobalSetup(): Promise<void> {
  const dir = existsSync(join(PGLITE_TEMPLATE_DIR, 'PG_VERSION')) ? PGLITE_TEMPLATE_DIR : testTemplateDir();
  await preparePgliteTemplate(dir);
}
