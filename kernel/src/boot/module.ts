import type { Config } from './config.js';
import type { Logger } from '../logger.js';
import type { HttpApp } from '../http/app.js';
import type { ConnectionTracker } from '../http/connections.js';

/**
 * Kernel modules, in the style of `defineJob`: a module names the services it
 * needs by typed reference, starts, and provides services under references of
 * its own. `kernel.ts` is the ordered list of modules; the boot checks that
 * every reference a module needs was provided by a module started before it.
 */

/** A named service of type `T`. Create with {@link defineService}. */
export interface ServiceRef<T> {
  readonly id: string;
  /** Phantom field: carries the type, never read. */
  readonly _type?: T;
}

export function defineService<T>(id: string): ServiceRef<T> {
  return { id };
}

export type Refs = Readonly<Record<string, ServiceRef<unknown>>>;

/** The services behind a record of references. */
export type ServicesOf<R extends Refs> = { readonly [K in keyof R]: R[K] extends ServiceRef<infer T> ? T : never };

/** What every module may use besides its declared dependencies. */
export interface ModuleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly options: KernelModuleOptions;
  /** This kernel's own base URL once it listens ('' before, and in `tessera worker`). */
  url(): string;
}

/** The kernel options modules read (a subset of KernelOptions). */
export interface KernelModuleOptions {
  readonly http?: boolean;
  readonly migrate?: boolean;
  readonly pgliteTemplateDir?: string;
  readonly databaseSchema?: string;
  readonly runJobs?: boolean;
}

/** What a module's routes get: the HTTP app and the services they declared. */
export interface RouteContext {
  readonly http: HttpApp;
  readonly tracker: ConnectionTracker;
  readonly config: Config;
}

/** Services resolved when first used, after the boot (see `KernelModule.later`). */
export type LateServicesOf<R extends Refs> = { readonly [K in keyof R]: () => R[K] extends ServiceRef<infer T> ? T : never };

export interface KernelModule<D extends Refs = Refs, P extends Refs = Refs, RD extends Refs = Refs, L extends Refs = Refs> {
  readonly name: string;
  /** Services this module needs at start: provided by modules earlier in the list. */
  readonly deps: D;
  /** Services it provides. */
  readonly provides: P;
  /**
   * Services used only at call time, from a module later in the list: the one
   * way to depend "upwards" (the plugin host serves `ctx.models` with the model
   * runtime, which runs on the plugin host). The boot fails if none provides them.
   */
  readonly later?: L;
  start(deps: ServicesOf<D>, ctx: ModuleContext, later: LateServicesOf<L>): Promise<ServicesOf<P>> | ServicesOf<P>;
  stop?(provided: ServicesOf<P>, ctx: ModuleContext): Promise<void> | void;
  /** Overrides the boot's default time-out for this module. */
  readonly timeoutMs?: number;
  /**
   * HTTP routes, registered once every module has started (API processes only),
   * with the services they name — which may come from any module.
   */
  readonly routes?: {
    readonly deps: RD;
    register(services: ServicesOf<RD>, ctx: RouteContext): void;
  };
}

/** Declares a module; the identity function that lets TypeScript infer its references. */
export function defineModule<D extends Refs, P extends Refs, RD extends Refs = Record<never, never>, L extends Refs = Record<never, never>>(module: KernelModule<D, P, RD, L>): KernelModule<D, P, RD, L> {
  return module;
}

/** A module whose reference types are forgotten, for lists of modules. */
export type AnyModule = KernelModule<Refs, Refs, Refs, Refs>;

export class ModuleOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleOrderError';
  }
}

/** The started services by reference. */
export class ServiceRegistry {
  private readonly services = new Map<string, { value: unknown; module: string }>();

  has(ref: ServiceRef<unknown>): boolean {
    return this.services.has(ref.id);
  }

  /** The service behind `ref`; throws if no started module provides it. */
  get<T>(ref: ServiceRef<T>): T {
    const entry = this.services.get(ref.id);
    if (!entry) throw new ModuleOrderError(`no started module provides the service "${ref.id}"`);
    return entry.value as T;
  }

  /** `get`, or undefined before the providing module started. */
  find<T>(ref: ServiceRef<T>): T | undefined {
    return this.services.get(ref.id)?.value as T | undefined;
  }

  set(ref: ServiceRef<unknown>, value: unknown, module: string): void {
    const existing = this.services.get(ref.id);
    if (existing) throw new ModuleOrderError(`modules "${existing.module}" and "${module}" both provide the service "${ref.id}"`);
    this.services.set(ref.id, { value, module });
  }

  delete(ref: ServiceRef<unknown>): void {
    this.services.delete(ref.id);
  }

  /** Resolves a record of references; names the module and the missing service, and which module would provide it. */
  resolve<R extends Refs>(refs: R, needer: string, providers: ReadonlyMap<string, string>): ServicesOf<R> {
    const out: Record<string, unknown> = {};
    for (const [key, ref] of Object.entries(refs)) {
      const entry = this.services.get(ref.id);
      if (!entry) {
        const provider = providers.get(ref.id);
        throw new ModuleOrderError(
          provider
            ? `module "${needer}" needs the service "${ref.id}" of module "${provider}", which has not started: list "${provider}" before "${needer}"`
            : `module "${needer}" needs the service "${ref.id}", which no module provides`,
        );
      }
      out[key] = entry.value;
    }
    return out as ServicesOf<R>;
  }
}

