import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Installed packages (install-wide): every version kept on disk, so a workspace can roll back.
  await knex.schema.createTable('plugin_packages', (t) => {
    t.string('name', 214).notNullable();
    t.string('version', 64).notNullable();
    t.jsonb('manifest').notNullable();
    // The bundle itself, so every kernel and worker process can run the plugin without a shared disk.
    t.text('bundle').notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('runtime', 16).notNullable();
    t.string('source', 32).notNullable();
    t.string('integrity', 200);
    t.uuid('installed_by');
    t.timestamp('installed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['name', 'version']);
  });

  // What each workspace uses: the active version, whether it is on, and exactly what the admin granted.
  await knex.schema.createTable('plugin_installations', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('plugin_name', 214).notNullable();
    t.string('version', 64).notNullable();
    t.string('previous_version', 64);
    t.boolean('enabled').notNullable().defaultTo(false);
    t.jsonb('granted_permissions').notNullable().defaultTo('{}');
    t.uuid('updated_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'plugin_name']);
  });

  await knex.schema.createTable('plugin_kv', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('plugin_name', 214).notNullable();
    t.string('key', 512).notNullable();
    t.jsonb('value').notNullable();
    t.integer('size_bytes').notNullable();
    t.timestamp('expires_at', { useTz: true });
    t.primary(['workspace_id', 'plugin_name', 'key']);
  });

  // Credentials a workspace gave a plugin, AES-256-GCM sealed with (workspace, plugin, name) as AAD.
  await knex.schema.createTable('plugin_secrets', (t) => {
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.string('plugin_name', 214).notNullable();
    t.string('name', 128).notNullable();
    t.text('sealed').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['workspace_id', 'plugin_name', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['plugin_secrets', 'plugin_kv', 'plugin_installations', 'plugin_packages']) await knex.schema.dropTableIfExists(table);
}
