import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGLITE_TEMPLATE_DIR } from '../../src/db/database.js';

/**
 * Which backends the suite runs against. `.ci/run` runs the suite twice: on the
 * embedded default, then with TEST_DATABASE_URL / TEST_REDIS_URL pointing at the
 * machine's PostgreSQL and Redis.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;
export const BACKEND = TEST_DATABASE_URL ? 'postgres' : 'pglite';

export const TEST_ROOT = join(tmpdir(), 'tessera-test');
mkdirSync(TEST_ROOT, { recursive: true });

export function testTemplateDir(): string {
  return existsSync(join(PGLITE_TEMPLATE_DIR, 'PG_VERSION')) ? PGLITE_TEMPLATE_DIR : join(TEST_ROOT, 'pglite-template');
}

export function freshDataDir(): string {
  return mkdtempSync(join(TEST_ROOT, 'data-'));
}

/** A unique PostgreSQL schema per test kernel, so runs never see each other's rows. */
export function freshSchema(): string {
  return `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A unique Redis key prefix per test, so queues and channels never cross. */
export function freshRedisPrefix(): string {
  return `tessera-test:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Registers a suite that needs a real external server only when the run has one
 * (`.ci/run`'s second pass sets TEST_REDIS_URL / TEST_DATABASE_URL); otherwise the
 * suite is reported as pending, with the reason in its title.
 */
export function describeWith(server: 'redis' | 'postgres', title: string, body: () => void): void {
  const available = server === 'redis' ? TEST_REDIS_URL : TEST_DATABASE_URL;
  if (available) describe(title, body);
  else describe(`${title} (needs TEST_${server.toUpperCase()}_URL: runs in the second pass of .ci/run)`, () => it(`runs against a real ${server} server`));
}
