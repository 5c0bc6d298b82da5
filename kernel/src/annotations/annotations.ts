import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ModelType } from '@tessera/sdk';
import { InputError, NotFoundError, TesseraError } from '../errors.js';
import type { ModelRef } from '../boot/config.js';
import type { EventBus } from '../events/bus.js';
import { unix } from '../identity/models.js';
import type { App } from '../apps/app-row.js';
import type { ModelRuntime } from '../models/model-runtime.js';
import type { Apps, RunnableApp } from '../apps/apps.js';
import { type AppConfig, normalizeConfig } from '../apps/config.js';
import { isUuid } from '../http/validate.js';

/** The embedding model annotation reply uses when neither the app nor the workspace names one. */

export interface AnnotationRow {
  id: string;
  app_id: string;
  question: string;
  answer: string;
  hit_count: number;
  embedding: string | null;
  embedding_model: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ReplySettings {
  embedding_provider_name?: string | undefined;
  embedding_model_name?: string | undefined;
  score_threshold?: number | undefined;
}

export type ReplyAction = 'enable' | 'disable';

export interface AnnotationJob {
  job_id: string;
  job_status: 'waiting' | 'processing' | 'completed' | 'error';
  error_msg: string;
}

export interface AnnotationsDeps {
  readonly knex: Knex;
  readonly apps: Apps;
  readonly runtime: Pick<ModelRuntime, 'embed'>;
  /** The workspace's default models (the console's model settings). */
  readonly defaults: { defaultModel(workspaceId: string, type: ModelType): Promise<{ provider: string; model: string } | undefined> };
  readonly events: EventBus;
  readonly logger: Logger;
  /** EMBEDDING_FALLBACK_MODEL: used when the workspace has no default embedding model (none: annotation reply needs one). */
  readonly fallbackEmbedding: ModelRef | undefined;
}

interface EmbeddingModel {
  provider: string;
  model: string;
  /** What `app_annotations.embedding_model` records. */
  key: string;
}

interface Index {
  readonly entries: Array<{ id: string; vector: number[]; norm: number }>;
}

const INDEX_CACHE_MS = 60_000;
const EMBED_BATCH = 256;
/** How long a finished job's status can be asked for. */
const JOB_KEPT_MS = 24 * 3600_000;

export function annotationView(a: AnnotationRow) {
  return { id: a.id, question: a.question, answer: a.answer, hit_count: Number(a.hit_count) || 0, created_at: unix(a.created_at) };
}

function norm(vector: readonly number[]): number {
  let sum = 0;
  for (const x of vector) sum += x * x;
  return Math.sqrt(sum);
}

function cosine(a: readonly number[], b: readonly number[], normA: number, normB: number): number {
  if (normA === 0 || normB === 0 || a.length !== b.length) return 0;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (normA * normB);
}

/**
 * An app's annotations (curated question → answer pairs) and annotation reply:
 * when enabled, a query whose embedding is close enough to an annotated
 * question is answered with the annotation instead of the model. Question
 * embeddings are stored with the model that made them; a change of model
 * re-embeds lazily. Each process caches an app's vectors for a minute, dropped
 * on any change (`cache.invalidate` scope `annotations`, from any process).
 */
export class Annotations {
  private readonly indexes = new Map<string, { model: string; at: number; value: Promise<Index> }>();

  constructor(private readonly deps: AnnotationsDeps) {
    deps.events.on('cache.invalidate', ({ scope, key }) => {
      if (scope === 'annotations') this.indexes.delete(key);
    });
    // An invalidation may have been missed (Redis unreachable): start again (each index still lives a minute at most).
    deps.events.onMissed(() => this.indexes.clear());
  }

  async list(appId: string, options: { page: number; limit: number; keyword?: string | undefined }) {
    const query = this.deps.knex('app_annotations').where({ app_id: appId });
    if (options.keyword) {
      const pattern = `%${options.keyword.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      query.andWhere((w) => w.whereRaw('lower(question) like ?', [pattern]).orWhereRaw('lower(answer) like ?', [pattern]));
    }
    const total = Number(((await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined)?.n ?? 0);
    const rows = (await query
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .offset((options.page - 1) * options.limit)
      .limit(options.limit)
      .select('id', 'app_id', 'question', 'answer', 'hit_count', 'created_at')) as AnnotationRow[];
    return { data: rows.map(annotationView), has_more: options.page * options.limit < total, limit: options.limit, total, page: options.page };
  }

  async get(appId: string, id: string): Promise<AnnotationRow> {
    const row = isUuid(id) ? ((await this.deps.knex('app_annotations').where({ id, app_id: appId }).first()) as AnnotationRow | undefined) : undefined;
    if (!row) throw new NotFoundError('Annotation not found.', 'not_found');
    return row;
  }

  /** Adds an annotation; its question is embedded now when the model answers (else at the first reply). */
  async create(app: App, input: { question: string; answer: string }, by: string | null) {
    const id = randomUUID();
    const embedded = await this.embedQuestion(app, input.question);
    await this.deps.knex('app_annotations').insert({ id, app_id: app.id, question: input.question, answer: input.answer, hit_count: 0, embedding: embedded?.embedding ?? null, embedding_model: embedded?.model ?? null, created_by: by });
    await this.invalidate(app.id);
    return annotationView(await this.get(app.id, id));
  }

  async update(app: App, id: string, input: { question?: string | undefined; answer?: string | undefined }) {
    const row = await this.get(app.id, id);
    const patch: Record<string, unknown> = { updated_at: this.deps.knex.fn.now() };
    if (input.answer !== undefined) patch.answer = input.answer;
    if (input.question !== undefined && input.question !== row.question) {
      const embedded = await this.embedQuestion(app, input.question);
      Object.assign(patch, { question: input.question, embedding: embedded?.embedding ?? null, embedding_model: embedded?.model ?? null });
    }
    await this.deps.knex('app_annotations').where({ id: row.id }).update(patch);
    await this.invalidate(app.id);
    return annotationView(await this.get(app.id, id));
  }

  async remove(app: App, id: string): Promise<void> {
    const row = await this.get(app.id, id);
    await this.deps.knex('app_annotations').where({ id: row.id }).delete();
    await this.invalidate(app.id);
  }

  /**
   * The `annotationReply` hook of generation: the best annotation for `query`
   * when its similarity reaches the app's `score_threshold` (its hit count goes
   * up), else undefined. Never throws: a failing embedding model means the
   * model answers.
   */
  async reply(runnable: RunnableApp, query: string): Promise<{ id: string; answer: string } | undefined> {
    const { app, config } = runnable;
    if (!query.trim()) return undefined;
    try {
      const model = await this.embeddingModel(app.workspace_id, config);
      const index = await this.index(app, model);
      if (index.entries.length === 0) return undefined;
      const [vector] = (await this.deps.runtime.embed(app.workspace_id, model.provider, { model: model.model, input: [query], input_type: 'query' })).vectors;
      if (!vector) return undefined;
      const queryNorm = norm(vector);
      let best: { id: string; score: number } | undefined;
      for (const entry of index.entries) {
        const score = cosine(vector, entry.vector, queryNorm, entry.norm);
        if (!best || score > best.score) best = { id: entry.id, score };
      }
      const threshold = Number(config.annotation_reply.score_threshold ?? 0.9);
      if (!best || best.score < threshold) return undefined;
      const row = (await this.deps.knex('app_annotations').where({ id: best.id, app_id: app.id }).first('id', 'answer')) as { id: string; answer: string } | undefined;
      if (!row) {
        this.indexes.delete(app.id);
        return undefined;
      }
      await this.deps.knex('app_annotations').where({ id: row.id }).update({ hit_count: this.deps.knex.raw('hit_count + 1') });
      return { id: row.id, answer: row.answer };
    } catch (error) {
      this.deps.logger.warn({ err: error, appId: app.id }, 'annotation reply failed; the model answers');
      return undefined;
    }
  }

  /**
   * Turns annotation reply on (with an embedding model and threshold) or off,
   * at once: the change is applied to the draft and, if the app is published,
   * to a new published version built from the published config (unpublished
   * draft edits stay unpublished). Enabling embeds every annotation with the
   * chosen model first, so a model that does not work fails the job and
   * changes nothing. Runs synchronously; the job's outcome is kept in the
   * database (a day), so its status can be asked of any API process.
   */
  async setReply(workspaceId: string, appId: string, action: ReplyAction, settings: ReplySettings, by: string | null): Promise<AnnotationJob> {
    const app = await this.deps.apps.get(workspaceId, appId);
    const job: AnnotationJob = { job_id: randomUUID(), job_status: 'processing', error_msg: '' };
    try {
      const patch: Record<string, unknown> = { enabled: action === 'enable' };
      if (action === 'enable') {
        if (settings.score_threshold !== undefined) patch.score_threshold = settings.score_threshold;
        if (settings.embedding_provider_name && settings.embedding_model_name) patch.embedding_model = { embedding_provider_name: settings.embedding_provider_name, embedding_model_name: settings.embedding_model_name };
        const config = normalizeConfig(app.mode, { annotation_reply: patch }, await this.deps.apps.effectiveConfig(app));
        const model = await this.embeddingModel(app.workspace_id, config);
        this.indexes.delete(app.id);
        await this.index(app, model);
      }
      await this.applyReplyConfig(app, patch, by);
      job.job_status = 'completed';
    } catch (error) {
      job.job_status = 'error';
      job.error_msg = (error as Error).message || 'The annotation reply settings could not be applied.';
      this.deps.logger.warn({ err: error, appId: app.id, action }, 'annotation reply job failed');
    }
    const { knex } = this.deps;
    await knex('app_jobs').where('created_at', '<', new Date(Date.now() - JOB_KEPT_MS)).delete();
    await knex('app_jobs').insert({ id: job.job_id, app_id: app.id, kind: `annotation-reply:${action}`, status: job.job_status, error_msg: job.error_msg });
    return job;
  }

  /** A job of `setReply`; 400 "The job does not exist." for an unknown one (as Dify). */
  async job(appId: string, action: string, jobId: string): Promise<AnnotationJob> {
    const row = isUuid(jobId) ? ((await this.deps.knex('app_jobs').where({ id: jobId, app_id: appId, kind: `annotation-reply:${action}` }).first('id', 'status', 'error_msg')) as { id: string; status: AnnotationJob['job_status']; error_msg: string } | undefined) : undefined;
    if (!row) throw new InputError('The job does not exist.', 'job_id');
    return { job_id: row.id, job_status: row.status, error_msg: row.error_msg };
  }

  /** The annotation reply settings an app's console shows. */
  async settings(app: App) {
    const config = await this.deps.apps.effectiveConfig(app);
    const model = await this.embeddingModel(app.workspace_id, config);
    return { enabled: config.annotation_reply.enabled, score_threshold: config.annotation_reply.score_threshold, embedding_model: { embedding_provider_name: model.provider, embedding_model_name: model.model } };
  }

  private async applyReplyConfig(app: App, patch: Record<string, unknown>, by: string | null): Promise<void> {
    const fresh = await this.deps.apps.get(app.workspace_id, app.id);
    await this.deps.apps.saveDraft(app.workspace_id, app.id, { annotation_reply: patch });
    const published = await this.deps.apps.publishedConfig(fresh);
    if (!published) return;
    const config = normalizeConfig(fresh.mode, { annotation_reply: patch }, published.config);
    await this.deps.apps.publishConfig(app.id, JSON.stringify(config), by);
  }

  /** The app's embedding model: its own choice, else the workspace default, else EMBEDDING_FALLBACK_MODEL (the local lexical one by default). */
  private async embeddingModel(workspaceId: string, config: AppConfig | null): Promise<EmbeddingModel> {
    const chosen = config?.annotation_reply.embedding_model;
    let provider: string;
    let model: string;
    if (chosen?.embedding_provider_name && chosen.embedding_model_name) ({ embedding_provider_name: provider, embedding_model_name: model } = chosen);
    else {
      const fallback = (await this.deps.defaults.defaultModel(workspaceId, 'text-embedding')) ?? this.deps.fallbackEmbedding;
      if (!fallback) throw new TesseraError(400, 'provider_not_initialize', 'Annotation reply needs an embedding model: set a default embedding model in Settings → Model providers.');
      ({ provider, model } = fallback);
    }
    return { provider, model, key: `${provider}:${model}`.slice(0, 512) };
  }

  /** The question's embedding with the app's current model, or undefined when the model fails (it is retried at reply). */
  private async embedQuestion(app: App, question: string): Promise<{ embedding: string; model: string } | undefined> {
    try {
      const config = await this.deps.apps.effectiveConfig(app);
      const model = await this.embeddingModel(app.workspace_id, config);
      const [vector] = (await this.deps.runtime.embed(app.workspace_id, model.provider, { model: model.model, input: [question], input_type: 'document' })).vectors;
      return vector ? { embedding: JSON.stringify(vector), model: model.key } : undefined;
    } catch (error) {
      this.deps.logger.debug({ err: error, appId: app.id }, 'could not embed an annotation question; it is embedded at the next reply');
      return undefined;
    }
  }

  /** The app's question vectors for `model`, cached; questions embedded with another model (or not at all) are embedded now. */
  private index(app: App, model: EmbeddingModel): Promise<Index> {
    const hit = this.indexes.get(app.id);
    if (hit && hit.model === model.key && Date.now() - hit.at < INDEX_CACHE_MS) return hit.value;
    const value = this.build(app, model);
    const entry = { model: model.key, at: Date.now(), value };
    this.indexes.set(app.id, entry);
    value.catch(() => {
      if (this.indexes.get(app.id) === entry) this.indexes.delete(app.id);
    });
    return value;
  }

  private async build(app: App, model: EmbeddingModel): Promise<Index> {
    const { knex } = this.deps;
    const rows = (await knex('app_annotations').where({ app_id: app.id }).select('id', 'question', 'embedding', 'embedding_model')) as Array<Pick<AnnotationRow, 'id' | 'question' | 'embedding' | 'embedding_model'>>;
    const entries: Index['entries'] = [];
    const stale: typeof rows = [];
    for (const row of rows) {
      if (row.embedding && row.embedding_model === model.key) {
        const vector = JSON.parse(row.embedding) as number[];
        entries.push({ id: row.id, vector, norm: norm(vector) });
      } else {
        stale.push(row);
      }
    }
    for (let i = 0; i < stale.length; i += EMBED_BATCH) {
      const batch = stale.slice(i, i + EMBED_BATCH);
      const { vectors } = await this.deps.runtime.embed(app.workspace_id, model.provider, { model: model.model, input: batch.map((r) => r.question), input_type: 'document' });
      await knex.transaction(async (trx) => {
        for (const [j, row] of batch.entries()) {
          const vector = vectors[j];
          if (!vector) continue;
          await trx('app_annotations').where({ id: row.id }).update({ embedding: JSON.stringify(vector), embedding_model: model.key });
          entries.push({ id: row.id, vector, norm: norm(vector) });
        }
      });
    }
    return { entries };
  }

  private async invalidate(appId: string): Promise<void> {
    this.indexes.delete(appId);
    await this.deps.events.notify('cache.invalidate', { scope: 'annotations', key: appId });
  }
}
