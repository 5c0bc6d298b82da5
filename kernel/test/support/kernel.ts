import { rmSync } from 'node:fs';
import pg from 'pg';
const { Client } = pg;
import { loadConfig } from '../../src/boot/config.js';
import { createKernel, type Kernel } from '../../src/kernel.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { freshDataDir, freshRedisPrefix, freshSchema, TEST_DATABASE_URL, TEST_REDIS_URL, testTemplateDir } from './env.js';

export interface TestKernel {
  kernel: Kernel;
  url: string;
  dataDir: string;
  schema: string | undefined;
  api: ApiClient;
  stop(): Promise<void>;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as-is (for malformed JSON tests). */
  rawBody?: string;
  /** Sent as multipart/form-data. */
  form?: FormData;
  headers?: Record<string, string>;
}

export type ApiClient = (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;

export function apiClient(base: string): ApiClient {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | FormData | undefined;
    if (options.form !== undefined) body = options.form;
    else if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (typeof body === 'string') headers['Content-Type'] ??= 'application/json';
    const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
}

export interface StartOptions {
  dataDir?: string;
  schema?: string;
  env?: Record<string, string>;
  /** The kernel's logger (default: the config's level on stdout), to capture log lines. */
  logger?: Logger;
  /** Register extra routes before the kernel mounts its routers. */
  beforeStart?(kernel: Kernel): void;
}

/** Starts a real kernel on a random port, on the backend the suite runs against. */
export async function startKernel(options: StartOptions = {}): Promise<TestKernel> {
  const dataDir = options.dataDir ?? freshDataDir();
  const schema = TEST_DATABASE_URL ? (options.schema ?? freshSchema()) : undefined;
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SHUTDOWN_TIMEOUT_MS: '2000',
    // Tests install the plugins they need; the first-party ones only where a test asks.
    BUNDLED_PLUGINS_DIR: '',
    MARKETPLACE: 'off',
    ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL } : {}),
    ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: freshRedisPrefix(), RUN_JOBS: 'true' } : {}),
    // Suites run with isolates in the plugin-host process (the default) or, with PLUGIN_HOST=inline, in this one.
    ...(process.env.PLUGIN_HOST ? { PLUGIN_HOST: process.env.PLUGIN_HOST } : {}),
    ...options.env,
  });
  const kernel = createKernel({ config, logger: options.logger ?? createLogger(config.logLevel), pgliteTemplateDir: testTemplateDir(), ...(schema ? { databaseSchema: schema } : {}) });
  options.beforeStart?.(kernel);
  await kernel.start();
  return { kernel, url: kernel.url, dataDir, schema, api: apiClient(kernel.url), stop: () => stopAndClean(kernel, dataDir, schema) };
}

/** Stops the kernel and removes what the test made: its data folder and its PostgreSQL schema. */
export async function stopAndClean(kernel: Kernel, dataDir: string, schema: string | undefined): Promise<void> {
  await kernel.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (schema && TEST_DATABASE_URL) {
    const pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  }
}

export const OWNER = { email: 'owner@example.com', name: 'Olive Owner', password: 'correct-horse-1' };

/** Runs first-run setup and logs the owner in. */
export async function setupOwner(api: ApiClient, owner = OWNER): Promise<{ token: string; refresh: string; workspaceId: string }> {
  const setup = await api('POST', '/console/api/setup', { body: owner });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  return login(api, owner.email, owner.password);
}

export async function login(api: ApiClient, email: string, password: string): Promise<{ token: string; refresh: string; workspaceId: string }> {
  const res = await api('POST', '/console/api/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.data.access_token as string;
  const current = await api('GET', '/console/api/workspaces/current', { token });
  return { token, refresh: res.body.data.refresh_token, workspaceId: current.body.id };
}

/** Lets any signed-in account create a workspace (an install setting, admins only by default: issue #13). */
export async function openWorkspaceCreation(api: ApiClient, installAdmin: string): Promise<void> {
  const res = await api('PUT', '/console/api/system/settings', { token: installAdmin, body: { workspace_creation: 'open' } });
  if (res.status !== 200) throw new Error(`opening workspace creation failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Invites `email` with `role` and activates the account; returns its login. */
export async function addMember(api: ApiClient, ownerToken: string, email: string, role: string, password = 'member-pass-1') {
  const invite = await api('POST', '/console/api/workspaces/current/members/invite-email', { token: ownerToken, body: { emails: [email], role } });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  const url: string | undefined = invite.body.invitation_results[0].url;
  if (url) {
    const token = new URL(url, 'http://x').searchParams.get('token');
    const activated = await api('POST', '/console/api/activate', { body: { token, name: email.split('@')[0], password } });
    if (activated.status !== 200) throw new Error(`activate failed: ${JSON.stringify(activated.body)}`);
  }
  return login(api, email, password);
}
