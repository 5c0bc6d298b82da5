import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePublisherKeyPair, publishPackage, signPackage, tarballIntegrity } from '../publishing.js';
import { CliError } from './errors.js';

/** Writes a new ed25519 publisher key pair: the private key to `file` (0600), the public key is returned to print. */
export function keygen(file: string): { publicKey: string; keyid: string } {
  if (existsSync(file)) throw new CliError(`${file} exists; refusing to overwrite a key`);
  const keys = generatePublisherKeyPair();
  writeFileSync(file, keys.privateKeyPem, { mode: 0o600 });
  writeFileSync(`${file}.pub`, `${keys.publicKey}\n`);
  return { publicKey: keys.publicKey, keyid: keys.keyid };
}

/** Publishes the packed `tarball` of the plugin in `dir`, signed with the key in `keyFile` when given. */
export async function publishTarballFile(dir: string, tarball: string, registry: string, token: string, keyFile: string | undefined) {
  const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const bytes = readFileSync(tarball);
  let signature;
  if (keyFile) {
    let pem: string;
    try {
      pem = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the publisher key ${keyFile}: ${(error as Error).message}`);
    }
    signature = signPackage(pem, String(packageJson.name), String(packageJson.version), tarballIntegrity(bytes));
  }
  try {
    return { ...(await publishPackage(registry, token, packageJson, bytes, signature)), signed: signature?.keyid };
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
