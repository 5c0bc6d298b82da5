import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BridgeLimits } from '@tessera/sdk/runtime';
import { ConfigError } from '../errors.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The kernel's configuration: read once from the environment, validated, then frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absolute path of the data folder (PGlite files, secret key, uploads, plugins). */
  readonly dataDir: string;
  /** PostgreSQL server URL; absent = embedded PGlite in `dataDir/db`. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema for Tessera's tables (default: the server's search_path, usually `public`). */
  readonly databaseSchema: string | undefined;
  /** Redis URL; absent = in-process jobs and events. */
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so installs (or test runs) can share one Redis. */
  readonly redisPrefix: string;
  /** A queued job whose worker stops refreshing its lock this long is handed to another worker. */
  readonly jobStallIntervalMs: number;
  /** Master secret: signs nothing by itself, but every encryption key is derived from it. */
  readonly secretKey: string;
  readonly secretKeySource: 'env' | 'file' | 'generated';
  readonly logLevel: LogLevel;
  /** Milliseconds a SIGTERM waits for in-flight requests and SSE streams to finish. */
  readonly shutdownTimeoutMs: number;
  /** Milliseconds each boot module may take before start-up fails naming it. */
  readonly bootTimeoutMs: number;
  /** Default heap cap of a plugin isolate, MB (an admin may change it per plugin). */
  readonly pluginMemoryLimitMb: number;
  /** Default CPU time one plugin call may use, ms. */
  readonly pluginCpuLimitMs: number;
  /** Wall-clock time one plugin call (and loading a plugin) may take, ms. */
  readonly pluginCallTimeoutMs: number;
  /** Wall-clock time a plugin's stream (a model's answer) may go without an item, ms. */
  readonly pluginStreamIdleTimeoutMs: number;
  /** Wall-clock time a plugin's whole stream may take, ms. */
  readonly pluginStreamTimeoutMs: number;
  /** Size and rate caps on what a plugin sends to the host (PLUGIN_MAX_* settings; docs/operations/security.md, "Plugin sandbox limits"). */
  readonly pluginBridgeLimits: PluginBridgeLimits;
  /** Where isolate plugins run (PLUGIN_HOST): `process` = a supervised plugin-host child process, `inline` = in the API process. */
  readonly pluginHost: 'process' | 'inline';
  /** Heap cap of the plugin-host process's own V8 heap, MB (PLUGIN_HOST_MEMORY_MB; each isolate has its own cap besides). */
  readonly pluginHostMemoryMb: number;
  /** Service API uploads: any file, and images (MB). */
  readonly uploadFileSizeLimitMb: number;
  readonly uploadImageSizeLimitMb: number;
  /** Concurrent generations per app API key (0 = unlimited). */
  readonly apiKeyMaxActiveRequests: number;
  /** `embedded` (a Verdaccio child process on 127.0.0.1), `external` (MARKETPLACE_URL) or `off`. */
  readonly marketplaceMode: 'embedded' | 'external' | 'off';
  readonly marketplaceUrl: string | undefined;
  readonly marketplacePort: number;
  /** Provider moderation's model when an app names none (MODERATION_DEFAULT_MODEL, `provider/model`; Dify's `openai_moderation`). */
  readonly moderationDefaultModel: ModelRef;
  /** Annotation reply's embedding model when the workspace has no default one (EMBEDDING_FALLBACK_MODEL, `provider/model`, or `none`). */
  readonly embeddingFallbackModel: ModelRef | undefined;
  /** Folder of first-party plugin packages installed at start (default: the repository's `plugins/`); absent = none. */
  readonly bundledPluginsDir: string | undefined;
  /** Whether this process also processes queued jobs (embedded default: yes). */
  readonly runJobs: boolean;
  /** Outgoing mail server (SMTP_URL, or SMTP_HOST and the other SMTP_* settings); absent = no mail is sent. */
  readonly smtp: SmtpConfig | undefined;
  /** The From of outgoing mail (MAIL_FROM); required when SMTP is configured. */
  readonly mailFrom: string | undefined;
  /** Milliseconds connecting to, greeting and each command of the SMTP server may take before a send fails (503 mail_unavailable). */
  readonly mailTimeoutMs: number;
  /** Public base URL of the console (CONSOLE_URL, or Dify's CONSOLE_WEB_URL), for links in mail; absent = not known. */
  readonly consoleUrl: string | undefined;
  /** Reverse proxies in front of the kernel whose X-Forwarded-For/-Proto are trusted (TRUST_PROXY: false = 0, true = 1, or a count). */
  readonly trustProxyHops: number;
  /** Brute-force limits of login, activation and password reset (identity/throttle.ts). */
  readonly loginThrottle: LoginThrottleConfig;
}

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465, `smtps://`); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
}

export interface LoginThrottleConfig {
  /** Failed attempts for one account before each further attempt must wait (LOGIN_MAX_FAILURES). */
  readonly maxFailures: number;
  /** Failed attempts from one client address, any account, before the back-off (LOGIN_ADDRESS_MAX_FAILURES). */
  readonly addressMaxFailures: number;
  /** The first wait; each further failure doubles it (LOGIN_BACKOFF_BASE_MS). */
  readonly backoffBaseMs: number;
  /** The longest wait (LOGIN_BACKOFF_MAX_MS). */
  readonly backoffMaxMs: number;
}

/** The SDK's bridge limits (one type, from @tessera/sdk), in bytes and counts. */
export type PluginBridgeLimits = BridgeLimits;

/** `plugins/` beside the kernel package in this repository (src/boot or dist/boot → ../../../plugins). */
const DEFAULT_BUNDLED_PLUGINS_DIR = fileURLToPath(new URL('../../../plugins', import.meta.url));

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A model named in configuration. */
export interface ModelRef {
  readonly provider: string;
  readonly model: string;
}

/** `provider/model` (split at the first `/`: a model name may contain more). */
function modelRef(env: Env, name: string, fallback: string): ModelRef;
function modelRef(env: Env, name: string, fallback: string, allowNone: true): ModelRef | undefined;
function modelRef(env: Env, name: string, fallback: string, allowNone = false): ModelRef | undefined {
  const raw = optional(env, name) ?? fallback;
  if (allowNone && raw === 'none') return undefined;
  const slash = raw.indexOf('/');
  if (slash <= 0 || slash === raw.length - 1) throw new ConfigError(name, `must be "provider/model"${allowNone ? ' or "none"' : ''}, got "${raw}"`);
  return Object.freeze({ provider: raw.slice(0, slash), model: raw.slice(slash + 1) });
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.map((p) => p.replace(':', '://')).join(' or ')}, got ${parsed.protocol}//`);
  }
  return raw;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** SMTP_URL (`smtp://user:password@host:port`, `smtps://…` for TLS from the start) or SMTP_HOST with SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_SECURE. */
function smtp(env: Env): SmtpConfig | undefined {
  const raw = url(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  if (raw !== undefined) {
    if (optional(env, 'SMTP_HOST') !== undefined) throw new ConfigError('SMTP_HOST', 'set SMTP_URL or SMTP_HOST, not both');
    const parsed = new URL(raw);
    const secure = parsed.protocol === 'smtps:';
    if (!parsed.hostname) throw new ConfigError('SMTP_URL', 'names no host');
    return {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    };
  }
  const host = optional(env, 'SMTP_HOST');
  if (host === undefined) {
    for (const name of ['SMTP_PORT', 'SMTP_USER', 'SMTP_PASSWORD', 'SMTP_SECURE']) {
      if (optional(env, name) !== undefined) throw new ConfigError(name, 'is set but SMTP_HOST (or SMTP_URL) is not');
    }
    return undefined;
  }
  const port = integer(env, 'SMTP_PORT', 0, 1, 65535);
  const secure = bool(env, 'SMTP_SECURE', port === 465);
  const user = optional(env, 'SMTP_USER');
  const password = env.SMTP_PASSWORD === undefined || env.SMTP_PASSWORD === '' ? undefined : env.SMTP_PASSWORD;
  if (password !== undefined && user === undefined) throw new ConfigError('SMTP_USER', 'is required when SMTP_PASSWORD is set');
  return { host, port: port || (secure ? 465 : 587), secure, user, password };
}

/** TRUST_PROXY: `false` (default) trusts no forwarding header, `true` one proxy, a number that many proxies in a row. */
function trustProxyHops(env: Env): number {
  const raw = optional(env, 'TRUST_PROXY')?.toLowerCase();
  if (raw === undefined || raw === 'false') return 0;
  if (raw === 'true') return 1;
  return integer(env, 'TRUST_PROXY', 0, 0, 10);
}

function secretKey(env: Env, dataDir: string): { value: string; source: Config['secretKeySource'] } {
  const raw = optional(env, 'SECRET_KEY');
  if (raw !== undefined) {
    if (raw.length < 32) throw new ConfigError('SECRET_KEY', 'must be at least 32 characters long');
    return { value: raw, source: 'env' };
  }
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length < 32) throw new ConfigError('SECRET_KEY', `the key kept in ${file} is shorter than 32 characters`);
    return { value: stored, source: 'file' };
  }
  const generated = randomBytes(48).toString('base64url');
  writeFileSync(file, generated + '\n', { mode: 0o600 });
  return { value: generated, source: 'generated' };
}

/**
 * Reads the configuration from `env`. A bad value throws a {@link ConfigError}
 * whose message names the variable, so start-up can print one line and exit.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const port = integer(env, 'PORT', 5001, 0, 65535);
  const host = optional(env, 'HOST') ?? '127.0.0.1';
  const dataDirRaw = optional(env, 'DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError('DATA_DIR', `cannot create ${dataDir}: ${(error as Error).message}`);
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const databaseSchema = optional(env, 'DATABASE_SCHEMA');
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('DATABASE_SCHEMA', 'must be a lower-case identifier (letters, digits, underscores)');
  }
  const redisPrefix = optional(env, 'REDIS_PREFIX') ?? 'tessera';
  if (!/^[\w.:-]{1,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must be 1–64 letters, digits, dots, colons, dashes or underscores');
  const marketplaceUrl = url(env, 'MARKETPLACE_URL', ['http:', 'https:']);
  const marketplaceRaw = optional(env, 'MARKETPLACE') ?? (marketplaceUrl ? 'external' : 'embedded');
  if (!['embedded', 'external', 'off'].includes(marketplaceRaw)) throw new ConfigError('MARKETPLACE', `must be embedded, external or off, got "${marketplaceRaw}"`);
  if (marketplaceRaw === 'external' && !marketplaceUrl) throw new ConfigError('MARKETPLACE_URL', 'is required when MARKETPLACE is external');
  const marketplaceMode = marketplaceRaw as Config['marketplaceMode'];
  const pluginHostRaw = optional(env, 'PLUGIN_HOST') ?? 'process';
  if (pluginHostRaw !== 'process' && pluginHostRaw !== 'inline') throw new ConfigError('PLUGIN_HOST', `must be process or inline, got "${pluginHostRaw}"`);
  const logLevelRaw = (optional(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevelRaw as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelRaw}"`);
  }
  const key = secretKey(env, dataDir);
  const smtpConfig = smtp(env);
  const mailFrom = optional(env, 'MAIL_FROM');
  if (smtpConfig && mailFrom === undefined) throw new ConfigError('MAIL_FROM', 'is required when SMTP is configured (e.g. "Tessera <tessera@example.com>")');
  if (mailFrom !== undefined && !/^[^\r\n]*@[^\r\n]*$/.test(mailFrom)) throw new ConfigError('MAIL_FROM', 'must be an email address, optionally with a name: "Name <address>"');
  const consoleUrl = url(env, 'CONSOLE_URL', ['http:', 'https:']) ?? url(env, 'CONSOLE_WEB_URL', ['http:', 'https:']);
  return Object.freeze({
    port,
    host,
    dataDir,
    databaseUrl,
    databaseSchema,
    redisUrl,
    redisPrefix,
    jobStallIntervalMs: integer(env, 'JOB_STALL_INTERVAL_MS', 5000, 200, 600_000),
    secretKey: key.value,
    secretKeySource: key.source,
    logLevel: logLevelRaw as LogLevel,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    bootTimeoutMs: integer(env, 'BOOT_TIMEOUT_MS', 30_000, 100, 600_000),
    pluginMemoryLimitMb: integer(env, 'PLUGIN_MEMORY_LIMIT_MB', 128, 8, 4096),
    pluginCpuLimitMs: integer(env, 'PLUGIN_CPU_LIMIT_MS', 5000, 10, 600_000),
    pluginCallTimeoutMs: integer(env, 'PLUGIN_CALL_TIMEOUT_MS', 60_000, 100, 3_600_000),
    pluginStreamIdleTimeoutMs: integer(env, 'PLUGIN_STREAM_IDLE_TIMEOUT_MS', 300_000, 100, 3_600_000),
    pluginStreamTimeoutMs: integer(env, 'PLUGIN_STREAM_TIMEOUT_MS', 1_800_000, 100, 86_400_000),
    pluginBridgeLimits: {
      maxOperationBytes: integer(env, 'PLUGIN_MAX_OPERATION_MB', 8, 1, 1024) * 1024 * 1024,
      maxKvValueBytes: integer(env, 'PLUGIN_MAX_KV_VALUE_KB', 1024, 1, 1024 * 1024) * 1024,
      maxResultBytes: integer(env, 'PLUGIN_MAX_RESULT_MB', 16, 1, 1024) * 1024 * 1024,
      maxConcurrentOperations: integer(env, 'PLUGIN_MAX_CONCURRENT_OPERATIONS', 32, 1, 10_000),
      maxLogMessageChars: integer(env, 'PLUGIN_LOG_MESSAGE_MAX_CHARS', 8192, 256, 1024 * 1024),
      maxLogFieldsChars: integer(env, 'PLUGIN_LOG_FIELDS_MAX_CHARS', 16384, 256, 16 * 1024 * 1024),
      maxLogLinesPerCall: integer(env, 'PLUGIN_LOG_LINES_PER_CALL', 500, 1, 1_000_000),
    },
    pluginHost: pluginHostRaw,
    pluginHostMemoryMb: integer(env, 'PLUGIN_HOST_MEMORY_MB', 512, 64, 65_536),
    uploadFileSizeLimitMb: integer(env, 'UPLOAD_FILE_SIZE_LIMIT', 15, 1, 1024),
    uploadImageSizeLimitMb: integer(env, 'UPLOAD_IMAGE_FILE_SIZE_LIMIT', 10, 1, 1024),
    apiKeyMaxActiveRequests: integer(env, 'API_KEY_MAX_ACTIVE_REQUESTS', 0, 0, 100_000),
    marketplaceMode,
    marketplaceUrl,
    marketplacePort: integer(env, 'MARKETPLACE_PORT', 4873, 1, 65535),
    moderationDefaultModel: modelRef(env, 'MODERATION_DEFAULT_MODEL', 'openai/omni-moderation-latest'),
    embeddingFallbackModel: modelRef(env, 'EMBEDDING_FALLBACK_MODEL', 'local/hashed-ngrams-384', true),
    bundledPluginsDir: env.BUNDLED_PLUGINS_DIR === undefined ? DEFAULT_BUNDLED_PLUGINS_DIR : optional(env, 'BUNDLED_PLUGINS_DIR'),
    runJobs: (optional(env, 'RUN_JOBS') ?? (redisUrl ? 'false' : 'true')) !== 'false',
    smtp: smtpConfig,
    mailFrom,
    mailTimeoutMs: integer(env, 'MAIL_TIMEOUT_MS', 10_000, 100, 600_000),
    consoleUrl: consoleUrl?.replace(/\/+$/, ''),
    trustProxyHops: trustProxyHops(env),
    loginThrottle: Object.freeze({
      maxFailures: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      addressMaxFailures: integer(env, 'LOGIN_ADDRESS_MAX_FAILURES', 20, 1, 100_000),
      backoffBaseMs: integer(env, 'LOGIN_BACKOFF_BASE_MS', 1000, 1, 3_600_000),
      backoffMaxMs: integer(env, 'LOGIN_BACKOFF_MAX_MS', 15 * 60_000, 1, 24 * 3_600_000),
    }),
  });
}
