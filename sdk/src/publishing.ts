/**
 * `@tessera/sdk/publishing` — node-only: publishing a plugin package to a
 * Tessera marketplace (any npm registry), optionally signed by its publisher.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { PackageSignature } from './signing.js';

export * from './signing.js';

/** The SRI digest the registry will record for `tarball` (what a signature covers). */
export function tarballIntegrity(tarball: Buffer): string {
  return `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
}

/**
 * Publishes `tarball` as `npm publish` does — one PUT of the packument with the
 * tarball attached — adding the publisher's signature to the version metadata
 * (`tesseraSignature`) when one is given. Works for packages marked `private`.
 */
export async function publishPackage(registryUrl: string, token: string, packageJson: Record<string, unknown>, tarball: Buffer, signature?: PackageSignature): Promise<{ name: string; version: string; integrity: string }> {
  const { name, version } = packageJson;
  if (typeof name !== 'string' || typeof version !== 'string') throw new Error('package.json has no name or version');
  const base = registryUrl.replace(/\/+$/, '');
  const file = `${name.startsWith('@') ? name.split('/')[1] : name}-${version}.tgz`;
  const integrity = tarballIntegrity(tarball);
  const body = {
    _id: name,
    name,
    ...(typeof packageJson.description === 'string' ? { description: packageJson.description } : {}),
    ...(typeof packageJson.readme === 'string' ? { readme: packageJson.readme } : {}),
    'dist-tags': { latest: version },
    versions: {
      [version]: {
        ...packageJson,
        _id: `${name}@${version}`,
        ...(signature ? { tesseraSignature: signature } : {}),
        dist: { shasum: createHash('sha1').update(tarball).digest('hex'), integrity, tarball: `${base}/${name}/-/${file}` },
      },
    },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
  const response = await fetch(`${base}/${name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let reason = '';
    try {
      const answer = (await response.json()) as { error?: unknown; reason?: unknown };
      reason = String(answer.error ?? answer.reason ?? '');
    } catch {
      /* no JSON body */
    }
    throw new Error(`publishing ${name}@${version} failed: HTTP ${response.status}${reason ? ` — ${reason}` : ''}`);
  }
  return { name, version, integrity };
}
