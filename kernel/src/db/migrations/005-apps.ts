import type { Knex } from 'knex';

/** Apps: configs and versions, end users, conversations, messages, feedback, files, annotations. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('apps', (t) => {
    t.string('icon', 255).notNullable().defaultTo('🤖');
    t.string('icon_type', 16).notNullable().defaultTo('emoji');
    t.string('icon_background', 32).notNullable().defaultTo('#FFEAD5');
    t.string('status', 16).notNullable().defaultTo('normal');
    // 0 = unlimited. Concurrent generations per app and requests per minute per key.
    t.integer('max_active_requests').notNullable().defaultTo(0);
    t.integer('api_rpm').notNullable().defaultTo(0);
    t.text('draft_config').notNullable().defaultTo('{}');
    t.uuid('published_version_id');
    t.timestamp('published_at', { useTz: true });
  });

  await knex.schema.createTable('app_versions', (t) => {
    t.uuid('id').primary();
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.text('config').notNullable();
    t.uuid('created_by').references('accounts.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['app_id', 'version']);
  });

  // A Service API caller's `user` string becomes an end user of that app.
  await knex.schema.createTable('end_users', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.string('type', 32).notNullable();
    t.string('session_id', 255).notNullable();
    t.boolean('is_anonymous').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['app_id', 'type', 'session_id']);
  });

  await knex.schema.createTable('conversations', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.string('mode', 32).notNullable();
    t.string('name', 255).notNullable().defaultTo('');
    t.text('inputs').notNullable().defaultTo('{}');
    t.string('status', 16).notNullable().defaultTo('normal');
    t.text('introduction').notNullable().defaultTo('');
    t.uuid('end_user_id').references('end_users.id').onDelete('CASCADE');
    t.uuid('account_id').references('accounts.id').onDelete('SET NULL');
    t.string('from_source', 16).notNullable();
    t.integer('message_count').notNullable().defaultTo(0);
    t.boolean('is_deleted').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['app_id', 'end_user_id', 'updated_at']);
    t.index(['app_id', 'created_at']);
  });

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('CASCADE');
    t.uuid('app_version_id');
    t.uuid('end_user_id').references('end_users.id').onDelete('SET NULL');
    t.uuid('account_id').references('accounts.id').onDelete('SET NULL');
    t.string('from_source', 16).notNullable();
    t.text('inputs').notNullable().defaultTo('{}');
    t.text('query').notNullable().defaultTo('');
    t.text('answer').notNullable().defaultTo('');
    t.text('files').notNullable().defaultTo('[]');
    t.text('agent_thoughts').notNullable().defaultTo('[]');
    t.text('metadata').notNullable().defaultTo('{}');
    t.string('provider', 128).notNullable().defaultTo('');
    t.string('model', 255).notNullable().defaultTo('');
    t.integer('message_tokens').notNullable().defaultTo(0);
    t.integer('answer_tokens').notNullable().defaultTo(0);
    t.decimal('total_price', 14, 7).notNullable().defaultTo(0);
    t.string('currency', 8).notNullable().defaultTo('USD');
    t.float('latency').notNullable().defaultTo(0);
    t.string('status', 16).notNullable().defaultTo('normal');
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['conversation_id', 'created_at']);
    t.index(['app_id', 'created_at']);
  });

  await knex.schema.createTable('message_feedbacks', (t) => {
    t.uuid('id').primary();
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.uuid('conversation_id').references('conversations.id').onDelete('CASCADE');
    t.uuid('message_id').notNullable().references('messages.id').onDelete('CASCADE');
    t.string('rating', 16).notNullable();
    t.text('content');
    t.string('from_source', 16).notNullable();
    t.uuid('end_user_id');
    t.uuid('account_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['message_id', 'from_source']);
    t.index(['app_id', 'created_at']);
  });

  await knex.schema.createTable('upload_files', (t) => {
    t.uuid('id').primary();
    t.uuid('workspace_id').notNullable().references('workspaces.id').onDelete('CASCADE');
    t.uuid('app_id').references('apps.id').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.bigInteger('size').notNullable();
    t.string('extension', 32).notNullable();
    t.string('mime_type', 255).notNullable();
    t.string('storage_key', 255).notNullable();
    t.string('hash', 64).notNullable();
    t.string('created_by_role', 16).notNullable();
    t.uuid('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('app_annotations', (t) => {
    t.uuid('id').primary();
    t.uuid('app_id').notNullable().references('apps.id').onDelete('CASCADE');
    t.text('question').notNullable();
    t.text('answer').notNullable();
    t.integer('hit_count').notNullable().defaultTo(0);
    // The question's embedding (JSON array) and the model that made it, for annotation reply.
    t.text('embedding');
    t.string('embedding_model', 512);
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['app_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['app_annotations', 'upload_files', 'message_feedbacks', 'messages', 'conversations', 'end_users', 'app_versions']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('apps', (t) => {
    for (const column of ['icon', 'icon_type', 'icon_background', 'status', 'max_active_requests', 'api_rpm', 'draft_config', 'published_version_id', 'published_at']) t.dropColumn(column);
  });
}
