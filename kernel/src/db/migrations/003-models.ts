import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Credentials per (workspace, provider); several per provider are load-balanced.
  await knex.schema.createTable('provider_credentials', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('plugin_name', 214).notNullable();
    t.string('provider_id', 128).notNullable();
    t.string('name', 255).notNullable();
    t.text('sealed').notNullable();
    t.timestamp('cooldown_until', { useTz: true });
    t.text('last_error');
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'provider_id']);
  });

  await knex.schema.createTable('default_models', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('model_type', 32).notNullable();
    t.string('plugin_name', 214).notNullable();
    t.string('provider_id', 128).notNullable();
    t.string('model', 255).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'model_type']);
  });

  // One row per model call: what it cost and how it went.
  await knex.schema.createTable('model_usage', (t) => {
    t.bigIncrements('id');
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('plugin_name', 214).notNullable();
    t.string('provider_id', 128).notNullable();
    t.string('model', 255).notNullable();
    t.string('model_type', 32).notNullable();
    t.uuid('credential_id');
    t.integer('tokens_in').notNullable().defaultTo(0);
    t.integer('tokens_out').notNullable().defaultTo(0);
    t.integer('latency_ms').notNullable();
    t.integer('ttft_ms');
    t.decimal('price', 14, 8).notNullable().defaultTo(0);
    t.string('currency', 8).notNullable().defaultTo('USD');
    t.string('status', 16).notNullable();
    t.string('error_code', 64);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'created_at']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id');
    t.uuid('workspace_id').references('workspaces.id').onDelete('CASCADE');
    t.uuid('account_id');
    t.string('action', 64).notNullable();
    t.string('target', 255).notNullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['workspace_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_log', 'model_usage', 'default_models', 'provider_credentials']) await knex.schema.dropTableIfExists(table);
}
