import type { Knex } from 'knex';

function timestamps(table: Knex.CreateTableBuilder, knex: Knex): void {
  table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

export async function up(knex: Knex): Promise<void> {
  // pgvector is always there in PGlite; on a PostgreSQL server only if the admin installed it.
  const available = await knex.raw(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  if (available.rows.length > 0) await knex.raw('CREATE EXTENSION IF NOT EXISTS vector');

  await knex.schema.createTable('system_settings', (t) => {
    t.string('key', 100).primary();
    t.jsonb('value').notNullable();
    timestamps(t, knex);
  });

  await knex.schema.createTable('workspaces', (t) => {
    t.uuid('id').primary();
    t.string('name', 255).notNullable();
    t.string('status', 32).notNullable().defaultTo('normal');
    timestamps(t, knex);
  });

  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary();
    t.string('email', 320).notNullable().unique();
    t.string('name', 255).notNullable();
    t.text('password_hash');
    t.string('status', 32).notNullable().defaultTo('active');
    t.uuid('current_workspace_id').references('workspaces.id').onDelete('SET NULL');
    t.timestamp('last_login_at', { useTz: true });
    timestamps(t, knex);
  });

  await knex.schema.createTable('workspace_members', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('role', 32).notNullable();
    t.uuid('invited_by').references('accounts.id').onDelete('SET NULL');
    timestamps(t, knex);
    t.unique(['workspace_id', 'account_id']);
    t.index(['account_id']);
  });

  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('email', 320).notNullable();
    t.string('role', 32).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.uuid('invited_by').references('accounts.id').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    timestamps(t, knex);
    t.index(['workspace_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('access_token_hash', 64).notNullable().unique();
    t.string('refresh_token_hash', 64).notNullable().unique();
    t.timestamp('access_expires_at', { useTz: true }).notNullable();
    t.timestamp('refresh_expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.string('user_agent', 512);
    timestamps(t, knex);
    t.index(['account_id']);
  });

  // Apps are filled out by the apps service; the identity layer needs them as key owners.
  await knex.schema.createTable('apps', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.string('mode', 32).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.boolean('enable_api').notNullable().defaultTo(true);
    t.uuid('created_by').references('accounts.id').onDelete('SET NULL');
    timestamps(t, knex);
    t.index(['workspace_id']);
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('type', 16).notNullable();
    t.uuid('app_id').references('apps.id').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.string('token_hint', 32).notNullable();
    t.uuid('created_by').references('accounts.id').onDelete('SET NULL');
    t.timestamp('last_used_at', { useTz: true });
    timestamps(t, knex);
    t.index(['workspace_id', 'type']);
    t.index(['app_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['api_keys', 'apps', 'sessions', 'invitations', 'workspace_members', 'accounts', 'workspaces', 'system_settings']) {
    await knex.schema.dropTableIfExists(table);
  }
}
