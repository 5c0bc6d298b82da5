import type Router from '@koa/router';
import { objectBody } from '../http/validate.js';
import { authOf } from '../http/auth.js';
import busboy from 'busboy';
import type { Context } from 'koa';
import type { JsonValue } from '@tessera/sdk';
import { InputError } from '../errors.js';
import type { TrustedPublishers } from '../marketplace/publishers.js';
import type { PackageStore, PluginPackage } from './package-store.js';
import type { PluginHost } from './plugin-host.js';
import type { Contributions } from './contributions.js';
import type { PluginService } from './plugin-service.js';

export interface PluginRouteDeps {
  packages: PackageStore;
  service: PluginService;
  host: PluginHost;
  contributions: Contributions;
  publishers: TrustedPublishers;
}

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;



function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new InputError(`${field} must be a version string.`, field);
  return value;
}

/**
 * Reads the multipart field `file` of the request into memory (bounded), and the
 * optional field `signature`: the publisher's signature of the tarball, as
 * `tessera-plugin publish` makes it (JSON), for a signed upload.
 */
function readUpload(ctx: Context): Promise<{ file: Buffer; signature: unknown }> {
  if (!ctx.is('multipart/form-data')) return Promise.reject(new InputError('Upload the plugin tarball as multipart/form-data in the field "file".', 'file'));
  return new Promise((resolve, reject) => {
    let file: Buffer | undefined;
    let signature: unknown;
    let failed = false;
    const fail = (error: Error) => {
      failed = true;
      reject(error);
    };
    const parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 10, fieldSize: 16 * 1024 } });
    parser.on('field', (name, value) => {
      if (name !== 'signature') return;
      try {
        signature = JSON.parse(value);
      } catch {
        fail(new InputError('signature must be the JSON signature tessera-plugin publish prints.', 'signature', 'signature_invalid'));
      }
    });
    parser.on('file', (field, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(new InputError(`The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB.`, 'file', 'file_too_large')));
      stream.on('end', () => {
        if (field === 'file') file = Buffer.concat(chunks);
      });
    });
    parser.on('error', (error: Error) => fail(new InputError(`Malformed multipart body: ${error.message}`, 'file')));
    parser.on('close', () => {
      if (failed) return;
      if (!file) reject(new InputError('No file in the field "file".', 'file'));
      else resolve({ file, signature });
    });
    ctx.req.pipe(parser);
  });
}

/** `/console/api/plugins/*` and `/console/api/tools/*`. */
export function registerPluginRoutes(router: Router, deps: PluginRouteDeps): void {
  const { packages, service, host, contributions, publishers } = deps;

  router.get('/plugins', async (ctx) => {
    ctx.body = { data: await service.list(authOf(ctx).workspaceId) };
  });
  router.post('/plugins/upload', async (ctx) => {
    const upload = await readUpload(ctx);
    // Unsigned, an upload is the install's own package and can never take a name a signer owns (PackageStore.checkOwnership).
    const signerOf = async (p: PluginPackage) => (upload.signature === undefined ? null : (await publishers.check(p.name, p.version, p.integrity ?? undefined, upload.signature)).signer);
    const pkg = await packages.installTarball(upload.file, 'upload', authOf(ctx).accountId, (p, code) => host.verify(p, code), signerOf);
    ctx.status = 201;
    ctx.body = { plugin: { name: pkg.name, version: pkg.version, description: pkg.description, contributes: pkg.manifest.contributes, permissions: pkg.manifest.permissions ?? {}, runtime: pkg.runtime, signer: pkg.signer } };
  });
  router.get('/plugins/:name', async (ctx) => {
    ctx.body = await service.detail(authOf(ctx).workspaceId, ctx.params.name!);
  });
  router.post('/plugins/:name/enable', async (ctx) => {
    const input = objectBody(ctx);
    const installation = await service.enable(authOf(ctx).workspaceId, ctx.params.name!, input.granted_permissions, optionalString(input.version, 'version'), authOf(ctx).accountId);
    ctx.body = { result: 'success', installation: { version: installation.version, enabled: installation.enabled, granted_permissions: installation.grants } };
  });
  router.post('/plugins/:name/disable', async (ctx) => {
    await service.disable(authOf(ctx).workspaceId, ctx.params.name!, authOf(ctx).accountId);
    ctx.body = { result: 'success' };
  });
  router.post('/plugins/:name/upgrade', async (ctx) => {
    const installation = await service.upgrade(authOf(ctx).workspaceId, ctx.params.name!, optionalString(objectBody(ctx).version, 'version'), authOf(ctx).accountId);
    ctx.body = { result: 'success', installation: { version: installation.version, previous_version: installation.previousVersion, granted_permissions: installation.grants } };
  });
  router.post('/plugins/:name/rollback', async (ctx) => {
    const installation = await service.rollback(authOf(ctx).workspaceId, ctx.params.name!, authOf(ctx).accountId);
    ctx.body = { result: 'success', installation: { version: installation.version, previous_version: installation.previousVersion, granted_permissions: installation.grants } };
  });
  router.delete('/plugins/:name', async (ctx) => {
    await service.uninstall(authOf(ctx).workspaceId, ctx.params.name!);
    ctx.status = 204;
  });
  router.get('/plugins/:name/secrets', async (ctx) => {
    ctx.body = { names: await service.secretNames(authOf(ctx).workspaceId, ctx.params.name!) };
  });
  router.put('/plugins/:name/secrets', async (ctx) => {
    ctx.body = { names: await service.setSecrets(authOf(ctx).workspaceId, ctx.params.name!, objectBody(ctx).secrets) };
  });

  router.get('/tools', async (ctx) => {
    const enabled = await service.enabled(authOf(ctx).workspaceId);
    ctx.body = {
      data: enabled.flatMap(({ pkg }) => (pkg.manifest.contributes.tools ?? []).map((tool) => ({ plugin: pkg.name, version: pkg.version, ...tool }))),
    };
  });
  router.post('/tools/:plugin/:tool/invoke', async (ctx) => {
    const input = objectBody(ctx);
    const args = input.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new InputError('arguments must be a JSON object.', 'arguments');
    const controller = new AbortController();
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    ctx.body = { result: await contributions.invokeTool(authOf(ctx).workspaceId, ctx.params.plugin!, ctx.params.tool!, args as JsonValue, controller.signal) };
  });
}
