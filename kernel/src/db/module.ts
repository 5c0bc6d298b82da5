import { join } from 'node:path';
import { defineModule } from '../boot/module.js';
import { DatabaseRef } from '../services.js';
import { migrateUp, openDatabase } from './database.js';

/** The database: PGlite in DATA_DIR (embedded default) or PostgreSQL (DATABASE_URL). */
export const databaseModule = defineModule({
  name: 'database',
  deps: {},
  provides: { db: DatabaseRef },
  async start(_deps, { config, options, logger }) {
    const schema = options.databaseSchema ?? config.databaseSchema;
    const db = await openDatabase({
      databaseUrl: config.databaseUrl,
      pgliteDir: join(config.dataDir, 'db'),
      ...(options.pgliteTemplateDir ? { templateDir: options.pgliteTemplateDir } : {}),
      ...(schema ? { schema } : {}),
      logger, // knex's own warnings (each failed attempt to connect) as log lines, not console text
    });
    return { db };
  },
  stop: ({ db }) => db.close(),
});

/** Pending migrations at start (unless `tessera migrate` runs them itself). */
export const migrationsModule = defineModule({
  name: 'migrations',
  deps: { db: DatabaseRef },
  provides: {},
  async start({ db }, { options, logger }) {
    if (options.migrate === false) return {};
    const applied = await migrateUp(db.knex);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return {};
  },
});
