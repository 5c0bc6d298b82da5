import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random, URL-safe token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Tokens and API keys are high-entropy secrets, so a plain SHA-256 is the right
 * storage hash (argon2 is for low-entropy passwords and would slow every request).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
