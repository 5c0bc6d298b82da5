import type { Lifecycle } from './lifecycle.js';
import { type AnyModule, type ModuleContext, ModuleOrderError, type Refs, type RouteContext, ServiceRegistry, type ServicesOf } from './module.js';

/**
 * Checks an ordered list of modules before anything starts: every service a
 * module needs at start comes from a module before it, every late service from
 * some module, and no service has two providers. The error names both modules.
 */
export function checkModuleOrder(modules: readonly AnyModule[]): void {
  const providers = providerMap(modules, true);
  const started = new Set<string>();
  for (const module of modules) {
    for (const ref of Object.values(module.deps)) {
      if (started.has(ref.id)) continue;
      const provider = providers.get(ref.id);
      throw new ModuleOrderError(
        provider
          ? `module "${module.name}" needs the service "${ref.id}" of module "${provider}", which starts after it: list "${provider}" before "${module.name}"`
          : `module "${module.name}" needs the service "${ref.id}", which no module provides`,
      );
    }
    for (const ref of Object.values(module.later ?? {})) {
      if (!providers.has(ref.id)) throw new ModuleOrderError(`module "${module.name}" needs the service "${ref.id}" later, which no module provides`);
    }
    for (const ref of Object.values(module.provides)) started.add(ref.id);
  }
}

/** Which module provides each service; `strict` refuses a service with two providers. */
function providerMap(modules: readonly AnyModule[], strict = false): Map<string, string> {
  const providers = new Map<string, string>();
  for (const module of modules) {
    for (const ref of Object.values(module.provides)) {
      const existing = providers.get(ref.id);
      if (existing && strict) throw new ModuleOrderError(`modules "${existing}" and "${module.name}" both provide the service "${ref.id}"`);
      if (!existing) providers.set(ref.id, module.name);
    }
  }
  return providers;
}

/**
 * Adds each module to the lifecycle: at its turn it gets its declared services
 * from the registry, and what it returns is registered under its references;
 * stopping removes them again, in reverse order.
 */
export function addModules(lifecycle: Lifecycle, modules: readonly AnyModule[], registry: ServiceRegistry, ctx: ModuleContext): void {
  const providers = providerMap(modules);
  for (const module of modules) {
    let provided: ServicesOf<Refs> | undefined;
    const later = Object.fromEntries(Object.entries(module.later ?? {}).map(([key, ref]) => [key, () => registry.get(ref)]));
    lifecycle.add({
      name: module.name,
      ...(module.timeoutMs !== undefined ? { timeoutMs: module.timeoutMs } : {}),
      async start() {
        const deps = registry.resolve(module.deps, module.name, providers);
        const services = await module.start(deps, ctx, later);
        for (const [key, ref] of Object.entries(module.provides)) {
          if (!(key in services)) throw new ModuleOrderError(`module "${module.name}" did not provide "${key}" (service "${ref.id}")`);
          registry.set(ref, services[key], module.name);
        }
        provided = services;
      },
      async stop() {
        if (!provided) return;
        const services = provided;
        provided = undefined;
        try {
          await module.stop?.(services, ctx);
        } finally {
          for (const ref of Object.values(module.provides)) registry.delete(ref);
        }
      },
    });
  }
}

/** Registers every module's routes, each with the services it declared (from any module). */
export function registerModuleRoutes(modules: readonly AnyModule[], registry: ServiceRegistry, ctx: RouteContext): void {
  const providers = providerMap(modules);
  for (const module of modules) {
    if (!module.routes) continue;
    module.routes.register(registry.resolve(module.routes.deps, `${module.name} (routes)`, providers), ctx);
  }
}
