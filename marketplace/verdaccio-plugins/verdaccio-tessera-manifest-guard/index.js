'use strict';
/*
 * Verdaccio 6 middleware plugin, loaded by name: the generated config sets
 * `plugins: <this folder's parent>` and `middlewares: { 'tessera-manifest-guard': { enabled: true } }`,
 * and @verdaccio/loaders requires `<plugins>/verdaccio-tessera-manifest-guard`.
 *
 * A CommonJS shim because Verdaccio loads plugins with `require()`. The guard
 * itself is the ES module `manifest-guard.js` of @tessera/marketplace: the
 * registry child process (child.js) imports it and hands its factory over on
 * globalThis before calling Verdaccio's runServer. It must be called
 * synchronously: Verdaccio's request logger already listens to the body's
 * 'data' events, so any asynchronous hop before the body is read loses bytes.
 *
 * Fails closed: without the factory, register_middlewares throws and Verdaccio
 * does not start.
 */
const FACTORY = Symbol.for('tessera.marketplace.manifestGuard.factory');
const REGISTERED = Symbol.for('tessera.marketplace.manifestGuard.registered');

module.exports = function tesseraManifestGuardPlugin(config, options) {
  const logger = options && options.logger;
  const guardOptions = { maxBodyBytes: config && config.maxBodyBytes };
  return {
    register_middlewares(app) {
      const factory = globalThis[FACTORY];
      if (typeof factory !== 'function') {
        throw new Error('verdaccio-tessera-manifest-guard: no guard factory; run Verdaccio through @tessera/marketplace\'s child process');
      }
      app.use(factory(guardOptions, logger));
      globalThis[REGISTERED] = true;
    },
  };
};
