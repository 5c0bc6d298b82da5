import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as tar from 'tar';
import { TEST_ROOT } from './env.js';
import type { ApiClient } from './kernel.js';

const PROBE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'probe-plugin');

export interface BuiltPlugin {
  name: string;
  version: string;
  dir: string;
  tarball: Buffer;
}

/**
 * Builds the probe fixture as a real plugin package under `name@version`: the
 * bundle as `tessera-plugin build` makes it (esbuild, one neutral-platform ESM
 * file with the SDK inside) and an npm tarball (`package/…`).
 */
export async function buildProbePlugin(name = '@test/probe', version = '0.1.0', manifestPatch: (m: Record<string, unknown>) => void = () => undefined): Promise<BuiltPlugin> {
  const dir = mkdtempSync(join(TEST_ROOT, 'plugin-'));
  const manifest = JSON.parse(readFileSync(join(PROBE, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  manifestPatch(manifest);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, description: 'Sandbox probe', type: 'module', main: 'dist/plugin.js', tessera: manifest }, null, 2));
  mkdirSync(join(dir, 'dist'));
  await build({
    entryPoints: [join(PROBE, 'plugin.ts')],
    outfile: join(dir, 'dist', 'plugin.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    define: { __VERSION__: JSON.stringify(version) },
    logLevel: 'silent',
  });
  const file = join(dir, 'package.tgz');
  await tar.c({ gzip: true, file, cwd: dir, prefix: 'package/', portable: true }, ['package.json', 'dist/plugin.js']);
  return { name, version, dir, tarball: readFileSync(file) };
}

/** POSTs a tarball to /console/api/plugins/upload as multipart/form-data. */
export async function uploadPlugin(api: ApiClient, token: string, tarball: Buffer, filename = 'plugin.tgz') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(tarball)], { type: 'application/gzip' }), filename);
  return api('POST', '/console/api/plugins/upload', { token, form });
}

/**
 * Builds a plugin package from inline JavaScript (a hostile plugin written in
 * the test itself): `tools` maps each tool id to the source of its `invoke`
 * function. The bundle is the module as given, no SDK inside.
 */
export async function buildInlinePlugin(name: string, tools: Record<string, string>, manifestPatch: (m: Record<string, unknown>) => void = () => undefined, version = '0.1.0'): Promise<BuiltPlugin> {
  const dir = mkdtempSync(join(TEST_ROOT, 'plugin-'));
  const manifest: Record<string, unknown> = {
    apiVersion: '^1.0.0',
    contributes: { tools: Object.keys(tools).map((id) => ({ id, name: id, description: `Inline tool ${id}`, parameters: { type: 'object' } })) },
    permissions: {},
  };
  manifestPatch(manifest);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, description: 'Inline test plugin', type: 'module', main: 'dist/plugin.js', tessera: manifest }, null, 2));
  mkdirSync(join(dir, 'dist'));
  const entries = Object.entries(tools).map(([id, source]) => `${JSON.stringify(id)}: { kind: 'tool', invoke: ${source} }`);
  writeFileSync(join(dir, 'dist', 'plugin.js'), `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { ${entries.join(', ')} }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };\n`);
  const file = join(dir, 'package.tgz');
  await tar.c({ gzip: true, file, cwd: dir, prefix: 'package/', portable: true }, ['package.json', 'dist/plugin.js']);
  return { name, version, dir, tarball: readFileSync(file) };
}
