'use strict';
/*
 * Verdaccio 6 middleware plugin, loaded by name: the generated config sets
 * `plugins: <this folder's parent>` and `middlewares: { 'tessera-manifest-guard': { ... } }`,
 * and @verdaccio/loaders requires `<plugins>/verdaccio-tessera-manifest-guard`.
 *
 * It is a CommonJS shim because Verdaccio loads plugins with `require()`; the
 * guard itself is the ES module `manifest-guard.js` of @tessera/marketplace, whose
 * file URL the child process passes as `guardModule` (the child has already
 * imported it, so this dynamic import resolves from the module cache).
 */
const REGISTERED = Symbol.for('tessera.marketplace.manifestGuard.registered');

module.exports = function tesseraManifestGuard(config, options) {
  const logger = options && options.logger;
  const moduleUrl = config && config.guardModule;
  if (typeof moduleUrl !== 'string') {
    throw new Error('verdaccio-tessera-manifest-guard: the "guardModule" option (file URL of manifest-guard.js) is required');
  }
  const guardOptions = { maxBodyBytes: config.maxBodyBytes };
  const guard = import(moduleUrl).then((mod) => mod.createManifestGuard(guardOptions, logger));
  // Keep a failed import from being reported as an unhandled rejection; each
  // request below still fails closed with a 500.
  guard.catch(() => undefined);

  return {
    register_middlewares(app) {
      app.use(function tesseraManifestGuard(req, res, next) {
        guard.then(
          (middleware) => middleware(req, res, next),
          (error) => {
            if (logger) logger.error({ err: String(error) }, 'tessera manifest guard unavailable: @{err}');
            res.statusCode = 500;
            res.setHeader('Content-Type', 'application/json; charset=utf-8');
            res.end(JSON.stringify({ error: 'Tessera marketplace: the manifest guard is unavailable' }));
          },
        );
      });
      globalThis[REGISTERED] = true;
    },
  };
};
