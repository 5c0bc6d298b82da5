import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { IsolateRuntime } from '../../src/runtime/isolate-runtime.js';
import { createGuardedFetch } from '../../src/runtime/guarded-fetch.js';
import { createMemoryCapabilities } from '../../src/testing/memory-capabilities.js';
import type { CallScope } from '../../src/runtime/plugin-runtime.js';

/** A tool that fetches `url` and returns the body as text, as a plugin would. */
const FETCH_TEXT = `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { get: { kind: 'tool', invoke: async (a, ctx) => { const r = await ctx.fetch(a.url); return await r.text(); } } }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;

describe('fetch through the isolate bridge: response bodies', () => {
  let server: http.Server;
  let base: string;
  let runtime: IsolateRuntime;
  let scope: CallScope;
  const routes = new Map<string, (res: http.ServerResponse) => void>();

  before(async () => {
    server = http.createServer((req, res) => routes.get(req.url ?? '')?.(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    const fetch = createGuardedFetch({ grant: { hosts: [`127.0.0.1:${port}`], allowPrivate: ['127.0.0.1'] } });
    scope = { workspaceId: 'ws-1', capabilities: { ...createMemoryCapabilities(), fetch } };
    runtime = new IsolateRuntime({ name: 'fetcher@1.0.0', code: FETCH_TEXT });
  });
  after(async () => {
    await runtime.dispose();
    server.close();
  });

  const get = (path: string) => runtime.call({ group: 'tools', id: 'get', method: 'invoke' }, [{ url: `${base}${path}` }], scope);

  it('hands over every chunk of a body whose first bytes come after the headers', async () => {
    // A provider that flushes its headers and only then streams: the first chunk must not be lost.
    routes.set('/late', (res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.flushHeaders();
      setTimeout(() => res.write('first-'), 30);
      setTimeout(() => res.write('second-'), 60);
      setTimeout(() => res.end('third'), 90);
    });
    expect(await get('/late')).to.equal('first-second-third');
  });

  it('hands over a short body that has fully arrived with its headers', async () => {
    routes.set('/short', (res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('a');
      res.write('b');
      res.end('c');
    });
    expect(await get('/short')).to.equal('abc');
  });

  it('streams a long body in order past the part that rides along with the headers', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join('');
    routes.set('/long', (res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // Written in pieces, some at once and some later, so both paths carry part of it.
      const pieces = lines.match(/[\s\S]{1,50000}/g)!;
      pieces.slice(0, 3).forEach((p) => res.write(p));
      let i = 3;
      const more = () => (i < pieces.length ? (res.write(pieces[i++]), setTimeout(more, 2)) : res.end());
      setTimeout(more, 5);
    });
    const text = (await get('/long')) as string;
    expect(text.length).to.equal(lines.length);
    expect(text === lines).to.equal(true);
  });
});

describe('fetch through the isolate bridge: network errors', () => {
  /** A tool that fetches `url` and returns what the plugin saw: the status, or the error's name and code. */
  const FETCH_OR_ERROR = `export default { kind: 'plugin', apiVersion: '1.0.0', tools: { get: { kind: 'tool', invoke: async (a, ctx) => { try { const r = await ctx.fetch(a.url); return { status: r.status }; } catch (e) { return { name: e.name, code: e.code, message: e.message }; } } } }, providers: {}, nodes: {}, vectorStores: {}, documentLoaders: {} };`;
  let runtime: IsolateRuntime;

  before(() => {
    runtime = new IsolateRuntime({ name: 'fetcher@1.0.0', code: FETCH_OR_ERROR });
  });
  after(() => runtime.dispose());

  it('gives the plugin a coded error, and the host survives, when a host name resolves to an address that fails to connect at once', async () => {
    // Under a '*' grant; the one address is multicast (allow-listed so that the policy lets it
    // through): the local kernel refuses a TCP connect to it at once and nothing is sent.
    const fetch = createGuardedFetch({
      grant: { hosts: ['*'], allowPrivate: ['224.0.0.1', 'ff00::/8'] },
      lookup: async (hostname) => (hostname === 'v6.example.test' ? [{ address: 'ff0e::1', family: 6 }] : [{ address: '224.0.0.1', family: 4 }]),
    });
    const scope: CallScope = { workspaceId: 'ws-1', capabilities: { ...createMemoryCapabilities(), fetch } };
    for (const url of ['http://unroutable.example.test/', 'https://unroutable.example.test/', 'http://v6.example.test:8080/', 'http://224.0.0.1/']) {
      const seen = (await runtime.call({ group: 'tools', id: 'get', method: 'invoke' }, [{ url }], scope)) as { name?: string; code?: string; message?: string };
      expect(seen, url).to.include({ name: 'PluginError', code: 'plugin_upstream_error' });
      expect(seen.message, url).to.match(/ENETUNREACH|EAFNOSUPPORT|EADDRNOTAVAIL/);
    }
  });
});
