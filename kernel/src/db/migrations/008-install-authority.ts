import type { Knex } from 'knex';

/**
 * Two levels of authority (issue #13): an install role on accounts, separate
 * from workspace roles; who signed each plugin package version, so a name owned
 * by a signer can never be shadowed; first-party publisher keys marked; and
 * invitations that grant membership only when accepted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    // 'owner' (who ran setup) or 'admin' (appointed); null for everybody else.
    t.string('install_role', 16);
  });
  // The setup owner of an existing install becomes its install owner.
  const setup = (await knex('system_settings').where({ key: 'setup' }).first()) as { value: unknown } | undefined;
  const value = typeof setup?.value === 'string' ? (JSON.parse(setup.value) as { email?: string }) : (setup?.value as { email?: string } | undefined);
  if (value?.email) await knex('accounts').where({ email: value.email }).update({ install_role: 'owner' });

  await knex.schema.alterTable('plugin_packages', (t) => {
    // 'first-party' (shipped with Tessera or signed by this install's first-party key),
    // a trusted publisher's key id, or null (unsigned: uploaded or allowed unsigned).
    t.string('signer', 64);
    t.index(['name', 'signer']);
  });
  await knex('plugin_packages').where({ source: 'bundled' }).update({ signer: 'first-party' });

  await knex.schema.alterTable('trusted_publishers', (t) => {
    t.boolean('first_party').notNullable().defaultTo(false);
  });
  await knex('trusted_publishers').where({ name: 'Tessera first-party plugins (this install)' }).whereNull('added_by').update({ first_party: true });

  await knex.schema.alterTable('invitations', (t) => {
    t.uuid('accepted_by');
    t.timestamp('revoked_at', { useTz: true });
    t.index(['email']);
  });
  // Memberships used to be written at invitation time; a pending account's rows
  // would all have come alive at its first activation. Membership now comes only
  // from accepting an invitation, which stays pending.
  await knex('workspace_members').whereIn('account_id', knex('accounts').select('id').where({ status: 'pending' })).delete();
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.dropIndex(['email']);
    t.dropColumn('accepted_by');
    t.dropColumn('revoked_at');
  });
  await knex.schema.alterTable('trusted_publishers', (t) => t.dropColumn('first_party'));
  await knex.schema.alterTable('plugin_packages', (t) => {
    t.dropIndex(['name', 'signer']);
    t.dropColumn('signer');
  });
  await knex.schema.alterTable('accounts', (t) => t.dropColumn('install_role'));
}
