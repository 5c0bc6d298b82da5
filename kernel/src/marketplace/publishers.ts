import type { Knex } from 'knex';
import { keyIdOf, verifyPackage, type PackageSignature } from '@tessera/sdk/signing';
import { ForbiddenError, InputError, NotFoundError } from '../errors.js';

const ALLOW_UNSIGNED = 'marketplace.allow_unsigned';

/** Display names of package signers (`first-party`, or trusted key ids), for plugin views. */
export async function signerNames(knex: Knex): Promise<Map<string, string>> {
  const rows = (await knex('trusted_publishers').select('keyid', 'name')) as Array<{ keyid: string; name: string }>;
  return new Map([['first-party', 'Tessera (first-party)'], ...rows.map((r) => [r.keyid, r.name] as [string, string])]);
}

/**
 * Which publishers this install trusts, and whether unsigned marketplace
 * packages may be installed (off by default).
 */
export class TrustedPublishers {
  constructor(private readonly knex: Knex) {}

  async list() {
    const rows = (await this.knex('trusted_publishers').orderBy('created_at')) as Array<{ keyid: string; public_key: string; name: string; first_party: boolean; created_at: Date }>;
    return rows.map((r) => ({ keyid: r.keyid, public_key: r.public_key, name: r.name, first_party: !!r.first_party, created_at: Math.floor(new Date(r.created_at).getTime() / 1000) }));
  }

  /** `firstParty`: this install's own key for the plugins it ships (added at seeding, never through the console). */
  async add(publicKey: string, name: string, by: string | null, firstParty = false): Promise<{ keyid: string }> {
    if (typeof publicKey !== 'string' || Buffer.from(publicKey, 'base64').length !== 32) throw new InputError('public_key must be a base64 ed25519 public key (32 bytes), as tessera-plugin keygen prints it.', 'public_key');
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) throw new InputError('name must be 1–255 characters.', 'name');
    const keyid = keyIdOf(publicKey);
    await this.knex('trusted_publishers').insert({ keyid, public_key: publicKey, name, added_by: by, first_party: firstParty }).onConflict('keyid').merge(['name']);
    return { keyid };
  }

  async remove(keyid: string): Promise<void> {
    if ((await this.knex('trusted_publishers').where({ keyid }).delete()) === 0) throw new NotFoundError('No trusted publisher with that key id.', 'publisher_not_found');
  }

  async allowUnsigned(): Promise<boolean> {
    const row = (await this.knex('system_settings').where({ key: ALLOW_UNSIGNED }).first()) as { value: unknown } | undefined;
    return row?.value === true;
  }

  async setAllowUnsigned(allow: boolean): Promise<void> {
    await this.knex('system_settings').insert({ key: ALLOW_UNSIGNED, value: JSON.stringify(allow) }).onConflict('key').merge(['value']);
  }

  /** Who signed `name@version` (by its registry integrity), or a coded refusal. */
  /**
   * Who signed `name@version` (by its registry integrity), or a coded refusal.
   * `signer` is what the package store records: `first-party` for this install's
   * own key, else the key id; null when unsigned and allowed.
   */
  async check(name: string, version: string, integrity: string | undefined, signature: unknown): Promise<{ keyid: string | null; publisher: string | null; signer: string | null }> {
    if (signature === undefined || signature === null) {
      if (await this.allowUnsigned()) return { keyid: null, publisher: null, signer: null };
      throw new ForbiddenError(`${name}@${version} is not signed by its publisher; an admin can allow unsigned plugins in the marketplace settings.`, 'plugin_unsigned');
    }
    const sig = signature as PackageSignature;
    if (typeof sig.keyid !== 'string' || typeof sig.signature !== 'string' || !integrity) throw new InputError(`${name}@${version} carries a malformed signature.`, 'version', 'signature_invalid');
    const row = (await this.knex('trusted_publishers').where({ keyid: sig.keyid }).first()) as { public_key: string; name: string; first_party: boolean } | undefined;
    if (!row) throw new ForbiddenError(`${name}@${version} is signed by key ${sig.keyid}, which this install does not trust.`, 'publisher_not_trusted');
    if (!verifyPackage(row.public_key, sig, name, version, integrity)) throw new InputError(`The signature of ${name}@${version} does not match its contents: refusing to install it.`, 'version', 'signature_invalid');
    return { keyid: sig.keyid, publisher: row.name, signer: row.first_party ? 'first-party' : sig.keyid };
  }
}
