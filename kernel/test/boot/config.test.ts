import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/boot/config.js';
import { ConfigError } from '../../src/errors.js';
import { freshDataDir } from '../support/env.js';

describe('configuration from the environment', () => {
  it('applies the documented defaults', () => {
    const dir = freshDataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).to.include({ port: 5001, host: '127.0.0.1', dataDir: dir, logLevel: 'info', databaseUrl: undefined, redisUrl: undefined, runJobs: true });
  });

  it('generates SECRET_KEY on first run, keeps it in the data folder and reuses it', () => {
    const dir = freshDataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.secretKeySource).to.equal('generated');
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).to.equal(first.secretKey);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.secretKeySource).to.equal('file');
    expect(second.secretKey).to.equal(first.secretKey);
  });

  it('prefers SECRET_KEY from the environment and writes no file', () => {
    const dir = freshDataDir();
    const config = loadConfig({ DATA_DIR: dir, SECRET_KEY: 'x'.repeat(40) });
    expect(config.secretKeySource).to.equal('env');
    expect(existsSync(join(dir, 'secret-key'))).to.equal(false);
  });

  it('has plugin execution limits with defaults, each one settable', () => {
    expect(loadConfig({ DATA_DIR: freshDataDir() })).to.include({ pluginMemoryLimitMb: 128, pluginCpuLimitMs: 5000, pluginCallTimeoutMs: 60_000, pluginStreamIdleTimeoutMs: 300_000, pluginStreamTimeoutMs: 1_800_000 });
    const set = loadConfig({ DATA_DIR: freshDataDir(), PLUGIN_CALL_TIMEOUT_MS: '20000', PLUGIN_STREAM_IDLE_TIMEOUT_MS: '90000', PLUGIN_STREAM_TIMEOUT_MS: '600000' });
    expect(set).to.include({ pluginCallTimeoutMs: 20_000, pluginStreamIdleTimeoutMs: 90_000, pluginStreamTimeoutMs: 600_000 });
  });

  it('names the default moderation and fallback embedding models in configuration, not in code', () => {
    const defaults = loadConfig({ DATA_DIR: freshDataDir() });
    expect(defaults.moderationDefaultModel).to.deep.equal({ provider: 'openai', model: 'omni-moderation-latest' });
    expect(defaults.embeddingFallbackModel).to.deep.equal({ provider: 'local', model: 'hashed-ngrams-384' });
    const set = loadConfig({ DATA_DIR: freshDataDir(), MODERATION_DEFAULT_MODEL: 'acme/guard/v2', EMBEDDING_FALLBACK_MODEL: 'none' });
    expect(set.moderationDefaultModel).to.deep.equal({ provider: 'acme', model: 'guard/v2' });
    expect(set.embeddingFallbackModel).to.equal(undefined);
  });

  const bad: Array<[Record<string, string>, string, RegExp]> = [
    [{ MODERATION_DEFAULT_MODEL: 'omni-moderation-latest' }, 'MODERATION_DEFAULT_MODEL', /provider\/model/],
    [{ EMBEDDING_FALLBACK_MODEL: 'local/' }, 'EMBEDDING_FALLBACK_MODEL', /"provider\/model" or "none"/],
    [{ PLUGIN_CALL_TIMEOUT_MS: '50' }, 'PLUGIN_CALL_TIMEOUT_MS', /between 100 and 3600000/],
    [{ PLUGIN_STREAM_IDLE_TIMEOUT_MS: 'soon' }, 'PLUGIN_STREAM_IDLE_TIMEOUT_MS', /whole number/],
    [{ PLUGIN_STREAM_TIMEOUT_MS: '0' }, 'PLUGIN_STREAM_TIMEOUT_MS', /between 100 and 86400000/],
    [{ PORT: 'abc' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres/],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /not a valid URL/],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL', /redis/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    [{ SECRET_KEY: 'short' }, 'SECRET_KEY', /32 characters/],
    [{ MARKETPLACE: 'sometimes' }, 'MARKETPLACE', /embedded, external or off/],
    [{ MARKETPLACE: 'external' }, 'MARKETPLACE_URL', /required when MARKETPLACE is external/],
    [{ MARKETPLACE_URL: 'ftp://x' }, 'MARKETPLACE_URL', /http/],
  ];
  for (const [env, variable, message] of bad) {
    it(`stops with a message naming ${variable} for ${JSON.stringify(env)}`, () => {
      try {
        loadConfig({ DATA_DIR: freshDataDir(), ...env });
        expect.fail('loadConfig accepted a bad value');
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).variable).to.equal(variable);
        expect((error as Error).message).to.match(new RegExp(`^${variable}: `)).and.match(message);
      }
    });
  }

  it('turns job processing off by default when REDIS_URL is set (workers do it)', () => {
    expect(loadConfig({ DATA_DIR: freshDataDir(), REDIS_URL: 'redis://127.0.0.1:6379' }).runJobs).to.equal(false);
    expect(loadConfig({ DATA_DIR: freshDataDir(), REDIS_URL: 'redis://127.0.0.1:6379', RUN_JOBS: 'true' }).runJobs).to.equal(true);
  });
});
