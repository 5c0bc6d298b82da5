import type { Knex } from 'knex';
import * as identity from './001-identity.js';
import * as plugins from './002-plugins.js';
import * as models from './003-models.js';
import * as publishers from './004-publishers.js';
import * as apps from './005-apps.js';
import * as sharedState from './006-shared-state.js';
import * as passwordResets from './007-password-resets.js';
import * as installAuthority from './008-install-authority.js';
import * as messageProgress from './009-message-progress.js';

export interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * The one migration set for both dialects (PGlite and PostgreSQL), listed in
 * code so it works the same from TypeScript sources and compiled output.
 */
export const migrations: readonly Migration[] = [
  { name: '001-identity', ...identity },
  { name: '002-plugins', ...plugins },
  { name: '003-models', ...models },
  { name: '004-publishers', ...publishers },
  { name: '005-apps', ...apps },
  { name: '006-shared-state', ...sharedState },
  { name: '007-password-resets', ...passwordResets },
  { name: '008-install-authority', ...installAuthority },
  { name: '009-message-progress', ...messageProgress },
];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
