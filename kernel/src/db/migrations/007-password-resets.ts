import type { Knex } from 'knex';

/**
 * Password reset by email code (issue #13), in the database so that the
 * request, the code check and the reset may each reach any API process.
 * A row holds one token at a time: the one sent with the code (`code`
 * phase), then the one handed out once the code was right (`reset` phase).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('password_resets', (t) => {
    t.uuid('id').primary();
    /** As requested (normalised); a request for an unknown email gets a row too, so it answers alike. */
    t.string('email', 320).notNullable();
    t.uuid('account_id').references('accounts.id').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.string('phase', 16).notNullable();
    t.string('code_hash', 64).notNullable();
    /** Wrong codes tried against this row; it dies at the limit. */
    t.integer('failed_attempts').notNullable().defaultTo(0);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['email']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('password_resets');
}
