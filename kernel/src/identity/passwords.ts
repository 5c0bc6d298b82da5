import argon2 from 'argon2';
import { InputError } from '../errors.js';

/** Dify's rule: at least 8 characters with letters and digits. */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  if (password.length < 8 || !/[A-Za-z]/.test(password) || !/\d/.test(password)) {
    throw new InputError('Password must be at least 8 characters and contain letters and numbers.', field);
  }
  if (password.length > 256) throw new InputError('Password must be at most 256 characters.', field);
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a random password, verified against when the email is unknown so a
 * failed login takes the same time whether or not the account exists.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy-password-0');
  return decoy;
}
