import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import busboy from 'busboy';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { InputError, NotFoundError, TesseraError } from '../errors.js';
import { unix } from '../identity/models.js';
import type { AppConfig, FormField } from '../apps/config.js';
import { isUuid } from '../http/validate.js';
import type { Owner } from '../conversations/conversations.js';

/** The app a file is looked up for: the one it must have been uploaded to. */
export interface FileApp {
  readonly id: string;
  readonly workspace_id: string;
}

/** File kinds by extension, as Dify groups them. */
const KINDS: Record<string, readonly string[]> = {
  image: ['jpg', 'jpeg', 'png', 'webp', 'gif', 'svg'],
  document: ['txt', 'md', 'markdown', 'mdx', 'pdf', 'html', 'htm', 'xlsx', 'xls', 'docx', 'csv', 'eml', 'msg', 'pptx', 'xml', 'epub', 'json'],
  audio: ['mp3', 'm4a', 'wav', 'webm', 'amr', 'mpga'],
  video: ['mp4', 'mov', 'mpeg', 'webm'],
};
const MIME: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', svg: 'image/svg+xml',
  txt: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', mdx: 'text/markdown', pdf: 'application/pdf', html: 'text/html', htm: 'text/html', csv: 'text/csv', json: 'application/json', xml: 'application/xml',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', xls: 'application/vnd.ms-excel', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', wav: 'audio/wav', webm: 'video/webm', mp4: 'video/mp4', mov: 'video/quicktime', mpeg: 'video/mpeg', mpga: 'audio/mpeg', amr: 'audio/amr', eml: 'message/rfc822', msg: 'application/vnd.ms-outlook', epub: 'application/epub+zip',
};

export function kindOf(extension: string): string | undefined {
  return Object.entries(KINDS).find(([, list]) => list.includes(extension))?.[0];
}

export interface UploadLimits {
  readonly fileSizeMb: number;
  readonly imageSizeMb: number;
}

export interface UploadedFile {
  id: string;
  workspace_id: string;
  app_id: string | null;
  name: string;
  size: number;
  extension: string;
  mime_type: string;
  storage_key: string;
  created_by_role: 'end_user' | 'account';
  created_by: string;
  created_at: Date;
}

/** A file reference in a request (`files[]` or a file input). */
export interface FileRef {
  type?: unknown;
  transfer_method?: unknown;
  url?: unknown;
  upload_file_id?: unknown;
}

/** A resolved file of a message: what is stored with it and what the model sees. */
/** A file as a prompt shows it to the model. */
export interface PromptFile {
  readonly type: string;
  /** A URL the model can fetch, or a `data:` URL. */
  readonly url: string;
}

export interface MessageFile extends PromptFile {
  readonly id: string;
  readonly transfer_method: string;
  readonly belongs_to: 'user' | 'assistant';
  readonly upload_file_id: string | null;
}

/**
 * Uploaded files, stored under `DATA_DIR/files/<workspace>/<id>.<ext>`, owned by
 * the end user (or account) that uploaded them, in the app they were uploaded to:
 * every lookup ({@link Files.get}, a message's `files[]`, a file input) finds a
 * file only for that uploader in that app, and answers anyone else exactly as it
 * answers an id that does not exist (404 `file_not_found`).
 */
export class Files {
  constructor(private readonly knex: Knex, private readonly root: string, readonly limits: UploadLimits) {}

  /** Reads the one multipart file and the `user` field of an upload request. */
  async receive(ctx: Context): Promise<{ name: string; bytes: Buffer; fields: Record<string, string> }> {
    if (!ctx.is('multipart/form-data')) throw new InputError('Upload the file as multipart/form-data in the field "file".', 'file', 'no_file_uploaded');
    const maxBytes = this.limits.fileSizeMb * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const fields: Record<string, string> = {};
      let file: { name: string; bytes: Buffer } | undefined;
      let count = 0;
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        ctx.req.unpipe(parser);
        ctx.req.resume();
        reject(error);
      };
      const parser = busboy({ headers: ctx.req.headers, limits: { fileSize: maxBytes, fields: 20, fieldSize: 64 * 1024 } });
      parser.on('file', (field, stream, info) => {
        count += 1;
        if (field !== 'file' || count > 1) {
          stream.resume();
          if (count > 1) fail(new InputError('Only one file is allowed.', 'file', 'too_many_files'));
          return;
        }
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('limit', () => fail(new TesseraError(413, 'file_too_large', `File size exceeded. ${this.limits.fileSizeMb} MB is the limit.`)));
        stream.on('end', () => {
          file = { name: info.filename || 'file', bytes: Buffer.concat(chunks) };
        });
      });
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('error', (error: Error) => fail(new InputError(`Malformed multipart body: ${error.message}`, 'file')));
      parser.on('close', () => {
        if (failed) return;
        if (!file) reject(new InputError('No file uploaded.', 'file', 'no_file_uploaded'));
        else resolve({ ...file, fields });
      });
      ctx.req.pipe(parser);
    });
  }

  /** Stores an upload after checking its type and size. */
  async save(workspaceId: string, appId: string | null, name: string, bytes: Buffer, by: { role: 'end_user' | 'account'; id: string }, allowed?: readonly string[]) {
    const extension = extname(name).slice(1).toLowerCase();
    const kind = kindOf(extension);
    if (!kind || (allowed && !allowed.includes(kind) && !allowed.includes('custom'))) throw new TesseraError(415, 'unsupported_file_type', `File type .${extension || '?'} is not supported.`);
    const limitMb = kind === 'image' ? this.limits.imageSizeMb : this.limits.fileSizeMb;
    if (bytes.length > limitMb * 1024 * 1024) throw new TesseraError(413, 'file_too_large', `File size exceeded. ${limitMb} MB is the limit for ${kind} files.`);
    const id = randomUUID();
    const storageKey = `${workspaceId}/${id}.${extension}`;
    await mkdir(join(this.root, workspaceId), { recursive: true });
    await writeFile(join(this.root, storageKey), bytes);
    const row = { id, workspace_id: workspaceId, app_id: appId, name: name.slice(0, 255), size: bytes.length, extension, mime_type: MIME[extension] ?? 'application/octet-stream', storage_key: storageKey, hash: createHash('sha256').update(bytes).digest('hex'), created_by_role: by.role, created_by: by.id };
    await this.knex('upload_files').insert(row);
    return { id, name: row.name, size: row.size, extension, mime_type: row.mime_type, created_by: by.id, created_at: unix(new Date()), preview_url: `/v1/files/${id}/preview`, source_url: `/v1/files/${id}/preview` };
  }

  /**
   * The file `id` as `owner` may use it in `app`: uploaded by that very end user (or
   * account), to that app.
   *
   * @throws NotFoundError 404 `file_not_found` — the same for a file of another
   *   uploader, app or workspace as for an id that does not exist.
   */
  async get(app: FileApp, owner: Owner, id: string): Promise<UploadedFile> {
    const where = { id, workspace_id: app.workspace_id, app_id: app.id, created_by_role: owner.kind, created_by: owner.id };
    const row = isUuid(id) ? ((await this.knex('upload_files').where(where).first()) as UploadedFile | undefined) : undefined;
    if (!row) throw new NotFoundError('File not found.', 'file_not_found');
    return row;
  }

  async read(file: UploadedFile): Promise<Buffer> {
    return readFile(join(this.root, file.storage_key));
  }

  /**
   * Resolves a request's `files[]` for the model: uploads become `data:` URLs
   * (the model cannot reach this server), remote URLs pass through. Checked
   * against the app's file settings; uploads only of `owner` to `app` (see {@link Files.get}).
   */
  async resolve(app: FileApp, owner: Owner, config: AppConfig, refs: unknown): Promise<MessageFile[]> {
    if (refs === undefined || refs === null) return [];
    if (!Array.isArray(refs)) throw new InputError('files must be a list.', 'files');
    if (refs.length === 0) return [];
    const upload = config.file_upload;
    if (!upload.enabled && !upload.image.enabled) throw new InputError('File upload is not enabled for this app.', 'files');
    const imagesOnly = upload.image.enabled && !upload.enabled;
    return this.resolveRefs(app, owner, refs, 'files', {
      limit: imagesOnly ? upload.image.number_limits : upload.number_limits,
      methods: imagesOnly ? upload.image.transfer_methods : upload.allowed_file_upload_methods,
      types: imagesOnly ? ['image'] : upload.allowed_file_types,
    });
  }

  /** Files given as values of the app's `file` / `file-list` form variables, checked against each field's settings. */
  async resolveInputs(app: FileApp, owner: Owner, fields: ReadonlyArray<{ type: string; field: FormField }>, inputs: Record<string, unknown>): Promise<MessageFile[]> {
    const out: MessageFile[] = [];
    for (const { type, field } of fields) {
      if (type !== 'file' && type !== 'file-list') continue;
      const value = inputs[field.variable];
      if (value === null || value === undefined) continue;
      const refs = Array.isArray(value) ? value : [value];
      out.push(...(await this.resolveRefs(app, owner, refs, `inputs.${field.variable}`, {
        limit: type === 'file' ? 1 : (field.max_files ?? 5),
        methods: field.allowed_file_upload_methods ?? ['local_file', 'remote_url'],
        types: field.allowed_file_types ?? ['image', 'document', 'audio', 'video'],
      })));
    }
    return out;
  }

  private async resolveRefs(app: FileApp, owner: Owner, refs: readonly unknown[], where: string, policy: { limit: number; methods: readonly string[]; types: readonly string[] }): Promise<MessageFile[]> {
    if (refs.length > policy.limit) throw new InputError(`At most ${policy.limit} files are allowed.`, where, 'too_many_files');
    const out: MessageFile[] = [];
    for (const [i, raw] of refs.entries()) {
      const ref = (raw ?? {}) as FileRef;
      const type = typeof ref.type === 'string' ? ref.type : 'image';
      const method = ref.transfer_method;
      if (method !== 'local_file' && method !== 'remote_url') throw new InputError('transfer_method must be local_file or remote_url.', `${where}[${i}].transfer_method`);
      if (!policy.methods.includes(method)) throw new InputError(`Transfer method ${method} is not allowed here.`, `${where}[${i}].transfer_method`);
      if (!policy.types.includes(type) && !policy.types.includes('custom')) throw new TesseraError(415, 'unsupported_file_type', `Files of type ${type} are not allowed here.`);
      if (method === 'remote_url') {
        if (typeof ref.url !== 'string' || !/^https?:\/\//i.test(ref.url)) throw new InputError('url must be an http(s) URL.', `${where}[${i}].url`);
        out.push({ id: randomUUID(), type, url: ref.url, transfer_method: method, belongs_to: 'user', upload_file_id: null });
        continue;
      }
      if (typeof ref.upload_file_id !== 'string') throw new InputError('upload_file_id is required for local_file.', `${where}[${i}].upload_file_id`);
      // 404 `file_not_found` for an id that is not this owner's upload to this app, as for one that does not exist.
      const file = await this.get(app, owner, ref.upload_file_id);
      const bytes = await this.read(file);
      out.push({ id: randomUUID(), type, url: `data:${file.mime_type};base64,${bytes.toString('base64')}`, transfer_method: method, belongs_to: 'user', upload_file_id: file.id });
    }
    return out;
  }
}

/** The stored form of a message's files (no `data:` URLs in the database). */
export function storedFiles(files: readonly MessageFile[]) {
  return files.map((f) => ({ id: f.id, type: f.type, transfer_method: f.transfer_method, upload_file_id: f.upload_file_id, belongs_to: f.belongs_to, url: f.upload_file_id ? `/v1/files/${f.upload_file_id}/preview` : f.url }));
}
