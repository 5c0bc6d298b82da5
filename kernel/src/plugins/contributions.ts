import {
  CONTRIBUTION_GROUP_KINDS,
  MANIFEST_CONTRIBUTION_GROUPS,
  type ContributionGroup,
  type ContributionKind,
  type DocumentLoader,
  type DocumentLoaderManifestEntry,
  type Grants,
  type JsonValue,
  type ModelProvider,
  type ModelProviderManifestEntry,
  type NodeManifestEntry,
  type Tool,
  type ToolManifestEntry,
  type VectorStore,
  type VectorStoreManifestEntry,
  type WorkflowNode,
} from '@tessera/sdk';
import { NotFoundError } from '../errors.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { PackageStore, PluginPackage } from './package-store.js';
import type { PluginHost } from './plugin-host.js';

/**
 * One registry for every kind of plugin contribution. It lists contributions
 * from manifests alone (no plugin code runs), resolves a reference once
 * (scoped ids, aliases a manifest declares, first-party precedence) and hands
 * out a proxy whose methods are the SDK interface of that kind — the one place
 * where calls become `{ group, id, method }` and JSON crosses into the sandbox.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` keeps contributions with specific schemas assignable. */
interface KindTable {
  tool: { entry: ToolManifestEntry; contribution: Tool<any, any> };
  'model-provider': { entry: ModelProviderManifestEntry; contribution: ModelProvider<any> };
  node: { entry: NodeManifestEntry; contribution: WorkflowNode<any, any, any, any, any> };
  'vector-store': { entry: VectorStoreManifestEntry; contribution: VectorStore<any> };
  'document-loader': { entry: DocumentLoaderManifestEntry; contribution: DocumentLoader };
}

type DropContext<P extends unknown[]> = P extends [...infer A, unknown] ? A : P;
type ProxyMethod<F> = F extends (...args: infer P) => infer R
  ? R extends AsyncIterable<infer C>
    ? (...args: DropContext<P>) => AsyncIterable<C>
    : (...args: DropContext<P>) => Promise<Awaited<R>>
  : never;
type MethodKeys<C> = { [K in keyof C]-?: NonNullable<C[K]> extends (...args: any[]) => any ? K : never }[keyof C];

/**
 * What the kernel calls on a contribution of kind `K`: the SDK interface's
 * methods without their last argument (the plugin's context, supplied by the
 * host). An optional method the plugin does not implement fails with
 * `plugin_not_supported`.
 */
export type ProxyOf<K extends ContributionKind> = { readonly [M in MethodKeys<KindTable[K]['contribution']>]-?: ProxyMethod<NonNullable<KindTable[K]['contribution'][M]>> };

/** A contribution as its manifest declares it. */
export interface Contribution<K extends ContributionKind = ContributionKind> {
  readonly kind: K;
  readonly plugin: string;
  readonly id: string;
  readonly entry: KindTable[K]['entry'];
  readonly pkg: PluginPackage;
}

/** Who runs the call: the workspace's installation of the plugin, the caller's signal, extra grants for this call. */
export interface ContributionCall {
  readonly workspaceId: string;
  readonly signal?: AbortSignal;
  readonly grants?: Grants;
}

/** Methods that stream (the rest answer once). */
const STREAMING: Readonly<Record<ContributionKind, readonly string[]>> = {
  tool: ['stream'],
  'model-provider': ['chat'],
  node: [],
  'vector-store': [],
  'document-loader': [],
};

/** How a missing contribution of each kind is reported. */
const NOUN: Readonly<Record<ContributionKind, { noun: string; code: ErrorCode }>> = {
  tool: { noun: 'tool', code: 'tool_not_found' },
  'model-provider': { noun: 'model provider', code: 'provider_not_found' },
  node: { noun: 'workflow node', code: 'not_found' },
  'vector-store': { noun: 'vector store', code: 'not_found' },
  'document-loader': { noun: 'document loader', code: 'not_found' },
};

const GROUP_OF = Object.fromEntries(Object.entries(CONTRIBUTION_GROUP_KINDS).map(([group, kind]) => [kind, group])) as Record<ContributionKind, ContributionGroup>;
const CACHE_MS = 5000;

/** Splits a reference into (plugin?, id): `id`, `plugin/id`, `@scope/plugin/id`, or Dify's `org/plugin/id`. */
export function parseContributionKey(key: string): { plugin?: string; id: string } {
  const parts = key.split('/');
  if (key.startsWith('@') && parts.length === 3) return { plugin: `${parts[0]}/${parts[1]}`, id: parts[2]! };
  if (parts.length === 3) return { id: parts[2]! }; // langgenius/openai/openai
  if (parts.length === 2) return { plugin: parts[0]!, id: parts[1]! };
  return { id: key };
}

export class Contributions {
  private cache: { at: number; generation: number; all: Promise<Contribution[]> } | undefined;

  constructor(private readonly packages: PackageStore, private readonly host: PluginHost) {}

  /** Every contribution of `kind` of the installed plugins (newest version of each); installs elsewhere show within seconds. */
  async list<K extends ContributionKind>(kind: K): Promise<Array<Contribution<K>>> {
    return (await this.all()).filter((c): c is Contribution<K> => c.kind === kind);
  }

  /** Forgets the cached manifests (a plugin changed on another process). */
  invalidate(): void {
    this.cache = undefined;
  }

  /**
   * Resolves a reference to one contribution; 404 `notFound` otherwise. A bare
   * id that two plugins offer goes to the first-party one, else the first by name.
   */
  async resolve<K extends ContributionKind>(kind: K, key: string, notFound: { code: ErrorCode; noun: string }): Promise<Contribution<K>> {
    const all = await this.list(kind);
    const { plugin, id } = parseContributionKey(key);
    const inPlugin = (c: Contribution<K>) => plugin === undefined || c.plugin === plugin;
    let matches = all.filter((c) => c.id === id && inPlugin(c));
    if (matches.length === 0) matches = all.filter((c) => aliasesOf(c).includes(id) && inPlugin(c));
    if (matches.length === 0) throw new NotFoundError(`No installed plugin provides the ${notFound.noun} "${key}".`, notFound.code);
    return matches.find((c) => c.pkg.signer === 'first-party') ?? matches[0]!;
  }

  /** The contribution of one plugin by its id (no aliases); undefined when that plugin has none. */
  async find<K extends ContributionKind>(kind: K, plugin: string, id: string): Promise<Contribution<K> | undefined> {
    return (await this.list(kind)).find((c) => c.plugin === plugin && c.id === id);
  }

  /**
   * A contribution of the version the workspace enabled (which may lag the newest
   * installed one); 404 when that version has none by this id.
   */
  async enabled<K extends ContributionKind>(kind: K, workspaceId: string, plugin: string, id: string): Promise<Contribution<K>> {
    const { pkg } = await this.host.active(workspaceId, plugin);
    const found = contributionsOf(pkg).find((c): c is Contribution<K> => c.kind === kind && c.id === id);
    if (!found) throw new NotFoundError(`Plugin ${plugin} has no ${NOUN[kind].noun} "${id}".`, NOUN[kind].code);
    return found;
  }

  /** Calls a tool of a plugin enabled in the workspace; binary results come back as `{ $bytes: base64 }`. */
  async invokeTool(workspaceId: string, plugin: string, tool: string, args: JsonValue, signal?: AbortSignal): Promise<JsonValue> {
    const contribution = await this.enabled('tool', workspaceId, plugin, tool);
    return bytesAsBase64(await this.proxy(contribution, { workspaceId, ...(signal ? { signal } : {}) }).invoke(args));
  }

  /** A proxy that calls `contribution` in the workspace's installation of its plugin. */
  proxy<K extends ContributionKind>(contribution: Contribution<K>, call: ContributionCall): ProxyOf<K> {
    const host = this.host;
    const streaming = STREAMING[contribution.kind];
    const target = (method: string) => ({ group: GROUP_OF[contribution.kind], id: contribution.id, method });
    const installed = () => host.active(call.workspaceId, contribution.plugin);
    return new Proxy({} as ProxyOf<K>, {
      get(_target, method) {
        if (typeof method !== 'string') return undefined;
        // Arguments and results are JSON on the bridge; their types are the SDK interface's (checked by the plugin's own build).
        if (streaming.includes(method)) {
          return (...args: unknown[]) => ({
            async *[Symbol.asyncIterator]() {
              const { installation, pkg } = await installed();
              yield* host.stream(installation, pkg, target(method), args as JsonValue[], call.signal, call.grants);
            },
          });
        }
        return async (...args: unknown[]) => {
          const { installation, pkg } = await installed();
          return host.call(installation, pkg, target(method), args as JsonValue[], call.signal, call.grants);
        };
      },
    });
  }

  private all(): Promise<Contribution[]> {
    const cache = this.cache;
    if (cache && cache.generation === this.packages.generation && Date.now() - cache.at < CACHE_MS) return cache.all;
    const all = this.packages.latest().then((latest) => latest.flatMap(contributionsOf));
    all.catch(() => (this.cache = undefined));
    this.cache = { at: Date.now(), generation: this.packages.generation, all };
    return all;
  }
}

function contributionsOf(pkg: PluginPackage): Contribution[] {
  return (Object.entries(MANIFEST_CONTRIBUTION_GROUPS) as Array<[ContributionGroup, keyof PluginPackage['manifest']['contributes']]>).flatMap(([group, list]) =>
    (pkg.manifest.contributes[list] ?? []).map((entry) => ({ kind: CONTRIBUTION_GROUP_KINDS[group], plugin: pkg.name, id: entry.id, entry, pkg }) as Contribution),
  );
}

function aliasesOf(contribution: Contribution): readonly string[] {
  return (contribution.entry as { aliases?: readonly string[] }).aliases ?? [];
}

/**
 * A tool's result is JSON: bytes in it (a plugin's Uint8Array) go out as `{"$bytes": base64}`, as on the
 * bridge, not as an object with one key per byte (a 20 MB array made a 184 MB response). Unchanged parts are kept as they are.
 */
export function bytesAsBase64(value: JsonValue): JsonValue {
  if ((value as unknown) instanceof Uint8Array) {
    const bytes = value as unknown as Uint8Array;
    return { $bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
  if (value === null || typeof value !== 'object') return value;
  let changed = false;
  if (Array.isArray(value)) {
    const out = value.map((item: JsonValue) => {
      const next = bytesAsBase64(item);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value as Record<string, JsonValue>)) {
    const next = bytesAsBase64(item);
    if (next !== item) changed = true;
    out[key] = next;
  }
  return changed ? out : value;
}
