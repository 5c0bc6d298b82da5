/**
 * `@tessera/sdk/signing` — node-only: publisher signatures for plugin packages.
 *
 * A publisher signs `<name>@<version>:<integrity>` (the tarball's SRI digest as
 * the registry records it) with an ed25519 key; the signature travels in the
 * version's metadata as `tesseraSignature`. An install checks the tarball
 * against the integrity (pacote) and the integrity against the signature, with
 * a key the admin trusts.
 *
 * @packageDocumentation
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';

/** The signature record carried in a version's metadata. */
export interface PackageSignature {
  readonly algorithm: 'ed25519';
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  readonly keyid: string;
  /** Base64 ed25519 signature of {@link signedPayload}. */
  readonly signature: string;
}

export interface PublisherKeyPair {
  /** PKCS#8 PEM; keep it secret. */
  readonly privateKeyPem: string;
  /** The raw 32-byte public key, base64 — what an admin pastes into the trusted keys. */
  readonly publicKey: string;
  readonly keyid: string;
}

/** What is signed: the package, its version and the integrity of its tarball. */
export function signedPayload(name: string, version: string, integrity: string): Buffer {
  return Buffer.from(`${name}@${version}:${integrity}`, 'utf8');
}

function rawPublicKey(key: ReturnType<typeof createPublicKey>): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/** The key id of a base64 raw public key. */
export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);
}

export function generatePublisherKeyPair(): PublisherKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey).toString('base64');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: raw, keyid: keyIdOf(raw) };
}

export function signPackage(privateKeyPem: string, name: string, version: string, integrity: string): PackageSignature {
  const key = createPrivateKey(privateKeyPem);
  const raw = rawPublicKey(createPublicKey(key)).toString('base64');
  return { algorithm: 'ed25519', keyid: keyIdOf(raw), signature: sign(null, signedPayload(name, version, integrity), key).toString('base64') };
}

/** True when `signature` is valid for (name, version, integrity) under the base64 raw `publicKey`. */
export function verifyPackage(publicKey: string, signature: PackageSignature, name: string, version: string, integrity: string): boolean {
  if (signature.algorithm !== 'ed25519') return false;
  const raw = Buffer.from(publicKey, 'base64');
  if (raw.length !== 32) return false;
  // SPKI DER prefix for an ed25519 public key, then the 32 raw bytes.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  try {
    return verify(null, signedPayload(name, version, integrity), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(signature.signature, 'base64'));
  } catch {
    return false;
  }
}
