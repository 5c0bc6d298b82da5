import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Logger } from 'pino';
import { InputError } from '../errors.js';
import type { ConnectionTracker } from './connections.js';
import { errorMiddleware } from './error-middleware.js';
import { checkPathParams, CONSOLE_ID_PARAMS, SERVICE_ID_PARAMS } from './id-params.js';
import { refuseHostileInput } from './validate.js';

export interface HttpApp {
  readonly koa: Koa;
  /** `/console/api/*` */
  readonly console: Router;
  /** `/v1/*` — the Dify-compatible Service API */
  readonly service: Router;
  /** Everything else (`/health`, `/ready`, static console). */
  readonly root: Router;
  /** Mounts the routers; call after every module registered its routes. */
  mount(): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface HttpOptions {
  /**
   * Reverse proxies in front (TRUST_PROXY): 0 trusts no X-Forwarded-* header;
   * n > 0 takes the client address from the last n entries of X-Forwarded-For —
   * the ones those proxies appended — so a client cannot choose its own address
   * (its own entries come first and are skipped).
   */
  proxyHops?: number;
}

export function createHttpApp(logger: Logger, tracker: ConnectionTracker, options: HttpOptions = {}): HttpApp {
  const hops = options.proxyHops ?? 0;
  const koa = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  koa.silent = true;

  koa.use(async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    ctx.state.requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    // Counted until the response is flushed (or the socket dies), not until the
    // middleware returns: a streamed body is still in flight after that.
    tracker.requestStarted();
    ctx.res.once('close', () => tracker.requestFinished());
    if (tracker.draining) ctx.set('Connection', 'close');
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.debug({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  });
  koa.use(errorMiddleware(logger));
  koa.use(
    bodyParser({
      enableTypes: ['json', 'form'],
      parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
      jsonLimit: '10mb',
      encoding: 'utf-8',
      onError: (error) => {
        throw new InputError(`The request body is not valid JSON: ${error.message}`, undefined, 'invalid_param');
      },
    }),
  );
  // NUL characters and over-deep bodies are refused here, for every route (issue #14).
  koa.use(refuseHostileInput);

  const console = new Router({ prefix: '/console/api' });
  const service = new Router({ prefix: '/v1' });
  const root = new Router();
  let mounted = false;
  return {
    koa,
    console,
    service,
    root,
    mount() {
      if (mounted) return;
      mounted = true;
      // Malformed ids are 404 before any handler or database sees them (issue #14).
      checkPathParams(console, CONSOLE_ID_PARAMS);
      checkPathParams(service, SERVICE_ID_PARAMS);
      // A request is matched against its own router only: walking the console's
      // many routes for every Service API call cost more than the route itself.
      const handlerOf = (router: Router): Koa.Middleware => {
        const routes = router.routes() as Koa.Middleware;
        const allowed = router.allowedMethods({ throw: false }) as Koa.Middleware;
        return (ctx, next) => routes(ctx, () => allowed(ctx, next));
      };
      const prefixed: Array<[string, Koa.Middleware]> = [['/console/api', handlerOf(console)], ['/v1', handlerOf(service)]];
      const other = handlerOf(root);
      koa.use((ctx, next) => {
        const path = ctx.path;
        for (const [prefix, handle] of prefixed) if (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')) return handle(ctx, next);
        return other(ctx, next);
      });
    },
  };
}
