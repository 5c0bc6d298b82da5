import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Publisher keys an admin trusts: marketplace installs must be signed by one of them (unless unsigned ones are allowed).
  await knex.schema.createTable('trusted_publishers', (t) => {
    t.string('keyid', 32).primary();
    t.text('public_key').notNullable();
    t.string('name', 255).notNullable();
    t.uuid('added_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('trusted_publishers');
}
