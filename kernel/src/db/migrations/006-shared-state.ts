import type { Knex } from 'knex';

/**
 * State that used to live in one API process's memory, so that any process
 * behind a load balancer answers for it: DSL imports waiting for `confirm`, and
 * the status of annotation-reply jobs.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_imports', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.text('content').notNullable();
    t.text('overrides').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['workspace_id', 'created_at']);
  });
  await knex.schema.createTable('app_jobs', (t) => {
    t.uuid('id').primary();
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    /** What the job does, e.g. `annotation-reply:enable`. */
    t.string('kind', 64).notNullable();
    t.string('status', 16).notNullable();
    t.text('error_msg').notNullable().defaultTo('');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('app_jobs');
  await knex.schema.dropTableIfExists('app_imports');
}
