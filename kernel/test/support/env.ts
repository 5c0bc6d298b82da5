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
