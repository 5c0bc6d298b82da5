import type { Knex } from 'knex';

/**
 * Messages exist from the start of their generation (issue #14, as Dify's do):
 * a row is `generating` while its answer streams, its answer is checkpointed
 * with `updated_at` as a heartbeat, and a row whose heartbeat stopped (its
 * process died) is swept to `error`. The partial index keeps the sweep cheap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw("CREATE INDEX messages_generating_updated_at ON messages (updated_at) WHERE status = 'generating'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS messages_generating_updated_at');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('updated_at');
  });
}
