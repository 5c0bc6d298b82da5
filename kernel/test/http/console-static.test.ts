import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHttpApp } from '../../src/http/app.js';
import { ConnectionTracker } from '../../src/http/connections.js';
import { serveConsole } from '../../src/http/console-static.js';
import { createLogger } from '../../src/logger.js';
import { startKernel, type TestKernel } from '../support/kernel.js';
import { TEST_ROOT } from '../support/env.js';

/** An HTTP app composed as the kernel composes it: API routers first, then the console. */
async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const http = createHttpApp(createLogger('silent'), new ConnectionTracker());
  http.console.get('/ping', (ctx) => {
    ctx.body = { pong: true };
  });
  http.mount();
  http.koa.use(serveConsole(dir));
  const server: Server = http.koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const html = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('serving the console (GET / and SPA fallback)', () => {
  let dist: string;
  let app: Awaited<ReturnType<typeof serve>>;

  before(async () => {
    dist = mkdtempSync(join(TEST_ROOT, 'console-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Tessera</title><div id="app"></div>');
    writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-AbC123.js.gz'), gzipSync('console.log(1)'));
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await serve(dist);
  });
  after(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('answers / with index.html, not cached, with a content security policy', async () => {
    const res = await fetch(`${app.url}/`, { headers: html });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/html/);
    expect(res.headers.get('cache-control')).to.equal('no-cache');
    expect(res.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(await res.text()).to.include('<div id="app">');
  });

  it('answers a client-side route with index.html (history fallback)', async () => {
    for (const path of ['/apps', '/apps/5c1e/logs', '/plugins/%40tessera%2Fplugin-calculator']) {
      const res = await fetch(app.url + path, { headers: html });
      expect(res.status, path).to.equal(200);
      expect(await res.text(), path).to.include('<div id="app">');
    }
  });

  it('serves hashed assets with a one-year immutable cache, and other files briefly', async () => {
    const asset = await fetch(`${app.url}/assets/index-AbC123.js`);
    expect(asset.status).to.equal(200);
    expect(asset.headers.get('content-type')).to.match(/javascript/);
    expect(asset.headers.get('cache-control')).to.equal('max-age=31536000,immutable');
    const raw = await fetch(`${app.url}/assets/index-AbC123.js`, { headers: { 'Accept-Encoding': 'identity' } });
    expect(raw.headers.get('content-encoding')).to.equal(null);
    expect(await raw.text()).to.equal('console.log(1)');
    const icon = await fetch(`${app.url}/favicon.svg`);
    expect(icon.status).to.equal(200);
    expect(icon.headers.get('cache-control')).to.equal('max-age=3600');
  });

  it('serves a precompressed asset to a client that accepts gzip', async () => {
    const http = await import('node:http');
    const { status, encoding, vary, body } = await new Promise<{ status: number; encoding: string | undefined; vary: string | undefined; body: Buffer }>((resolve, reject) => {
      http.get(`${app.url}/assets/index-AbC123.js`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(status).to.equal(200);
    expect(encoding).to.equal('gzip');
    expect(vary).to.match(/Accept-Encoding/);
    expect(gunzipSync(body).toString()).to.equal('console.log(1)');
  });

  it('answers a missing asset with 404, never with index.html', async () => {
    const res = await fetch(`${app.url}/assets/gone-123.js`, { headers: html });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { code: string }).code).to.equal('not_found');
    expect((await fetch(`${app.url}/missing.png`, { headers: { Accept: 'image/*' } })).status).to.equal(404);
  });

  it('never falls back for /console/api, /v1, /health or /ready paths, nor for non-GET methods', async () => {
    expect(await (await fetch(`${app.url}/console/api/ping`)).json()).to.deep.equal({ pong: true });
    for (const path of ['/console/api/nope', '/v1/nope', '/health/x', '/ready/x', '/v1']) {
      const res = await fetch(app.url + path, { headers: html });
      expect(res.status, path).to.equal(404);
      expect(((await res.json()) as { code: string }).code, path).to.equal('not_found');
    }
    expect((await fetch(`${app.url}/apps`, { method: 'POST', headers: html })).status).to.equal(404);
  });

  it('says how to build the console when dist is missing', async () => {
    const empty = mkdtempSync(join(TEST_ROOT, 'console-empty-'));
    const bare = await serve(empty);
    try {
      const res = await fetch(`${bare.url}/`, { headers: html });
      expect(res.status).to.equal(503);
      expect(await res.text()).to.include('npm run build');
      expect((await fetch(`${bare.url}/console/api/nope`, { headers: html })).status).to.equal(404);
      expect((await fetch(`${bare.url}/assets/x.js`)).status).to.equal(404);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the kernel serves the console at /', function () {
  this.timeout(30_000);
  let t: TestKernel;
  before(async () => {
    t = await startKernel();
  });
  after(() => t.stop());

  it('answers / with HTML (the built console, or how to build it) and keeps the APIs JSON', async () => {
    const res = await fetch(`${t.url}/`, { headers: html });
    expect([200, 503]).to.include(res.status);
    expect(res.headers.get('content-type')).to.match(/text\/html/);
    const setup = await fetch(`${t.url}/console/api/setup`, { headers: html });
    expect(setup.headers.get('content-type')).to.match(/application\/json/);
    expect(((await (await fetch(`${t.url}/health`)).json()) as { status: string }).status).to.equal('ok');
  });
});
