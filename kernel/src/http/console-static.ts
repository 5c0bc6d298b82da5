import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from '@koa/send';
import type { Context, Middleware } from 'koa';

/** Paths that belong to the APIs: never answered with the console (issue #7). */
const API_PATHS = ['/console/api', '/v1', '/health', '/ready'];
const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * `dist/` of the `@tessera/console` package: resolved as a package (an install
 * that has it in node_modules), else beside the kernel in this repository. The
 * kernel does not declare the dependency — the console's tests start a kernel,
 * so that would be a cycle; a kernel without a console serves the hint page.
 */
export function resolveConsoleDist(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@tessera/console/package.json')), 'dist');
  } catch {
    return fileURLToPath(new URL('../../../console/dist', import.meta.url));
  }
}

const isApi = (path: string) => API_PATHS.some((p) => path === p || path.startsWith(`${p}/`));

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tessera</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>Tessera is running — the console is not built</h1>
<p>Build it with <code>npm run build</code> (or <code>npm run build -w @tessera/console</code>) and reload this page.</p>
<p>The APIs work without it: <a href="/health">/health</a>, <a href="/ready">/ready</a>, <code>/console/api</code>, <code>/v1</code>.</p>
</body></html>`;

// The console's own origin only; inline style attributes are used by Vue bindings and reka-ui positioning.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

function htmlHeaders(ctx: Context): void {
  ctx.set({ 'Cache-Control': 'no-cache', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
}

/** A route of the single-page app (an HTML navigation to a path without a file extension), not a missing file. */
function wantsApp(ctx: Context): boolean {
  const last = ctx.path.split('/').pop() ?? '';
  return ctx.accepts('html') === 'html' && (!posix.extname(last) || (ctx.get('Accept') ?? '').includes('text/html'));
}

async function sendFile(ctx: Context, path: string, root: string, maxage: number, immutable: boolean, compressed = false): Promise<boolean> {
  try {
    // The console's build writes .br/.gz beside its assets; send picks one by Accept-Encoding.
    if (compressed) ctx.vary('Accept-Encoding');
    return Boolean(await send(ctx, path, { root, index: false, maxage, immutable, gzip: compressed, brotli: compressed }));
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

/**
 * Serves the built console at `/` (same origin as `/console/api`): hashed
 * `assets/` cached for a year, other files briefly, and every other GET that
 * asks for HTML answered with `index.html` so the router's history URLs load.
 * Mount it after the API routers: it only sees what they did not answer.
 */
export function serveConsole(dir: string = resolveConsoleDist()): Middleware {
  const root = dir;
  return async function consoleStatic(ctx, next) {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApi(ctx.path)) return next();
    if (!existsSync(join(root, 'index.html'))) {
      if (!wantsApp(ctx)) return next();
      ctx.status = 503;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = NOT_BUILT;
      return;
    }
    if (ctx.path.startsWith('/assets/')) {
      if (await sendFile(ctx, ctx.path, root, YEAR_MS, true, true)) return;
      return next();
    }
    if (ctx.path !== '/' && ctx.path !== '/index.html' && (await sendFile(ctx, ctx.path, root, 3600_000, false))) return;
    if (!wantsApp(ctx)) return next();
    htmlHeaders(ctx);
    await sendFile(ctx, '/index.html', root, 0, false);
    ctx.set('Cache-Control', 'no-cache');
  };
}
