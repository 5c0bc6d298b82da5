import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as tar from 'tar';
import { addAccount, listAccounts, login, packument, startRegistry, type Registry } from '@tessera/marketplace';
import { generatePublisherKeyPair, publishPackage, signPackage, tarballIntegrity } from '@tessera/sdk/publishing';
import { parseManifest } from '@tessera/sdk';
import type { Config } from '../boot/config.js';

/** The plugin registry this install uses: started here (embedded), somebody else's (external), or none. */
export interface Marketplace {
  readonly mode: Config['marketplaceMode'];
  /** The registry's URL; for the embedded one, known once it runs. */
  readonly url: string | undefined;
  /** Resolves once the registry answers and the first-party plugins are in it. */
  ready(): Promise<void>;
  /** One line for `/ready`. */
  status(): string;
  /**
   * Creates a publisher account in the embedded registry (a random password,
   * kept nowhere) and returns its npm token, for an install admin to publish
   * with (`npm publish`, `tessera-plugin publish --token`). Self-registration
   * is closed, so this is the only way to a publish token. Throws for a name
   * already taken (the seed account is `tessera`), and without an embedded registry.
   */
  issuePublishToken(name: string): Promise<{ name: string; token: string }>;
  stop(): Promise<void>;
}

/** The account the kernel seeds the first-party plugins with. */
const SEED_ACCOUNT = 'tessera';

/**
 * Starts the embedded registry in the background — a supervised Verdaccio child
 * process on 127.0.0.1 with its storage under `DATA_DIR/marketplace` — and seeds
 * it with the first-party plugins. Start-up does not wait for it: the kernel
 * serves while the registry comes up, and marketplace calls await `ready()`.
 */
export function startMarketplace(config: Config, logger: Logger, trust: (publicKey: string, name: string) => Promise<unknown> = async () => undefined): Marketplace {
  if (config.marketplaceMode !== 'embedded') {
    return {
      mode: config.marketplaceMode,
      url: config.marketplaceUrl,
      ready: async () => undefined,
      status: () => (config.marketplaceMode === 'off' ? 'off' : `external ${config.marketplaceUrl}`),
      issuePublishToken: async () => {
        throw new Error(`publish tokens are issued only by the embedded marketplace registry (MARKETPLACE=${config.marketplaceMode}); create publishers on the registry itself`);
      },
      stop: async () => undefined,
    };
  }
  const storageDir = join(config.dataDir, 'marketplace');
  let registry: Registry | undefined;
  let state = 'starting';
  const starting = (async () => {
    // Registration closed: accounts exist only if the kernel writes them (seed account, issuePublishToken).
    registry = await startRegistry({ storageDir, port: config.marketplacePort, logLevel: 'warn', allowRegistration: false, reservedScopes: { '@tessera/*': SEED_ACCOUNT } });
    const strangers = (await listAccounts(storageDir)).filter((a) => !a.issued && a.name !== SEED_ACCOUNT).map((a) => a.name);
    if (strangers.length) logger.warn({ accounts: strangers, file: join(storageDir, 'htpasswd') }, 'marketplace registry accounts that this install did not issue (self-registered while registration was open, or added by hand) can still publish; remove their lines from htpasswd unless you know them');
    registry.on('restart', () => logger.warn({ pid: registry?.pid }, 'marketplace registry restarted'));
    registry.on('give-up', () => {
      state = 'gave up after repeated crashes';
      logger.error('marketplace registry keeps crashing; not restarting it again');
    });
    if (config.bundledPluginsDir) {
      const seeded = await seed(registry.url, storageDir, config.bundledPluginsDir, trust, (message) => logger.warn(message));
      if (seeded.length) logger.info({ seeded }, 'marketplace seeded with the first-party plugins');
    }
    state = 'ok';
  })();
  starting.catch((error: Error) => {
    state = `failed: ${error.message}`;
    logger.error({ err: error }, 'the embedded marketplace did not start');
  });
  return {
    mode: 'embedded',
    get url() {
      return registry?.url;
    },
    ready: () => starting,
    status: () => (registry && state === 'ok' ? `ok (embedded ${registry.url})` : state),
    async issuePublishToken(name) {
      await starting;
      const account = await addAccount(storageDir, name);
      return { name, token: await login(registry!.url, account.name, account.password) };
    },
    async stop() {
      await starting.catch(() => undefined);
      await registry?.stop();
    },
  };
}

/** The account the kernel publishes first-party plugins with (created once, password kept in the data folder). */
async function seedToken(url: string, storageDir: string): Promise<string> {
  const file = join(storageDir, 'seed-account.json');
  if (existsSync(file)) {
    const { name, password } = JSON.parse(readFileSync(file, 'utf8')) as { name: string; password: string };
    return login(url, name, password);
  }
  // Written to the registry's htpasswd (registration is closed), then logged in like any publisher.
  // Replacing: an account of that name whose password this install does not hold (a start cut
  // short before seed-account.json was written, or one self-registered under the name) is taken back.
  const account = await addAccount(storageDir, SEED_ACCOUNT, { replace: true });
  writeFileSync(file, JSON.stringify(account), { mode: 0o600 });
  return login(url, account.name, account.password);
}

/** This install's own publisher key for the first-party plugins it seeds (generated once, trusted at once). */
async function seedKey(storageDir: string, trust: (publicKey: string, name: string) => Promise<unknown>): Promise<string> {
  const file = join(storageDir, 'seed-publisher.key');
  if (!existsSync(file)) {
    const keys = generatePublisherKeyPair();
    writeFileSync(file, keys.privateKeyPem, { mode: 0o600 });
    await trust(keys.publicKey, 'Tessera first-party plugins (this install)');
  }
  return readFileSync(file, 'utf8');
}

/** Publishes every built first-party plugin the registry does not have at its version yet. */
async function seed(url: string, storageDir: string, pluginsDir: string, trust: (publicKey: string, name: string) => Promise<unknown>, warn: (message: string) => void): Promise<string[]> {
  if (!existsSync(pluginsDir)) return [];
  const token = await seedToken(url, storageDir);
  const key = await seedKey(storageDir, trust);
  const seeded: string[] = [];
  for (const entry of readdirSync(pluginsDir, { withFileTypes: true })) {
    const dir = join(pluginsDir, entry.name);
    if (!entry.isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
    try {
      const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { files?: string[] };
      const parsed = parseManifest(packageJson);
      if (!parsed.ok || !existsSync(join(dir, parsed.manifest.main))) continue;
      const existing = await packument(url, parsed.name, { token });
      if (existing?.versions && parsed.version in existing.versions) continue;
      const tarball = await pack(dir, packageJson.files ?? [parsed.manifest.main]);
      // As `npm publish` does: the README travels in the metadata, so the catalog can show it.
      const readme = existsSync(join(dir, 'README.md')) ? readFileSync(join(dir, 'README.md'), 'utf8').slice(0, 64 * 1024) : undefined;
      await publishPackage(url, token, { ...(packageJson as Record<string, unknown>), ...(readme ? { readme } : {}) }, tarball, signPackage(key, parsed.name, parsed.version, tarballIntegrity(tarball)));
      seeded.push(`${parsed.name}@${parsed.version}`);
    } catch (error) {
      warn(`first-party plugin in ${dir} not seeded into the marketplace: ${(error as Error).message}`);
    }
  }
  return seeded;
}

/** An npm tarball of a plugin folder: package.json and its `files` (what `npm pack` would take). */
async function pack(dir: string, files: string[]): Promise<Buffer> {
  const work = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
  try {
    const file = join(work, 'package.tgz');
    const entries = ['package.json', ...files.filter((f) => existsSync(join(dir, f))), ...['README.md'].filter((f) => !files.includes(f) && existsSync(join(dir, f)))];
    mkdirSync(work, { recursive: true });
    await tar.c({ gzip: true, file, cwd: dir, prefix: 'package/', portable: true }, entries);
    return readFileSync(file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
