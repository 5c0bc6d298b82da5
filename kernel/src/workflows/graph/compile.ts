/**
 * Dify's graph JSON → the compiled graph the engine schedules over (issue #16). PURE.
 *
 * Follows Dify's `Graph.init` (api/core/workflow/graph/graph.py): sticky notes
 * are not nodes, a missing `sourceHandle` is `source`, the root is the start
 * node (or a trigger/datasource node). Beyond Dify it splits the graph into
 * scopes — the top level and one per iteration/loop body — and checks the
 * structure (validate.ts) so the engine never meets a dangling edge or a cycle.
 * The raw JSON is cloned and kept as it came, for a lossless export.
 */
import { GraphError, nodeName } from './errors.js';
import type { Graph, GraphEdge, GraphNode, GraphScope, GraphWarning, NodePolicy, RawEdge, RawGraph, RawNode } from './types.js';
import { checkStructure } from './validate.js';

/** Node types that hold a sub-graph, and the type of the child each starts at. */
export const CONTAINER_START: Readonly<Record<string, string>> = { iteration: 'iteration-start', loop: 'loop-start' };
/** Roots of a graph without a start node: Dify's trigger apps and RAG pipelines. */
export const TRIGGER_TYPES: readonly string[] = ['trigger-webhook', 'trigger-schedule', 'trigger-plugin', 'datasource'];

/** A sticky note: kept in `raw`, never a node (Dify drops `custom-note`; a node without a type is one too). */
export function isNote(node: RawNode): boolean {
  return node.type === 'custom-note' || typeof node.data?.type !== 'string' || node.data.type === '';
}

/** `compileGraph` then the structure checks; throws the first {@link GraphError}. */
export function compileGraph(input: RawGraph): Graph {
  if (!isRecord(input) || !Array.isArray(input.nodes) || !Array.isArray(input.edges ?? [])) {
    throw new GraphError('workflow_invalid_graph', 'A workflow graph needs a list of nodes and a list of edges.');
  }
  // A hostile file nested 100,000 deep would overflow the stack in the clone below (a 500).
  if (tooDeep(input, MAX_CONFIG_DEPTH + 3)) throw new GraphError('workflow_invalid_graph', `The graph is nested more than ${MAX_CONFIG_DEPTH} levels deep inside a node or edge.`);
  // Our own copy: the caller may change its object; export must give back what came in.
  const raw = structuredClone(input);
  const nodes = new Map<string, GraphNode>();
  raw.nodes.forEach((rawNode, index) => {
    if (!isRecord(rawNode)) throw new GraphError('workflow_invalid_graph', `Node ${index} of the graph is not an object.`);
    if (rawNode.type !== 'custom-note' && !isRecord(rawNode.data)) throw new GraphError('workflow_invalid_graph', `Node ${index} of the graph (${String(rawNode.id)}) has no data.`);
    if (isNote(rawNode)) return;
    const id = idOf(rawNode.id);
    if (id === undefined) throw new GraphError('workflow_invalid_graph', `Node ${index} of the graph has no id.`);
    if (nodes.has(id)) throw new GraphError('workflow_duplicate_node', `Two nodes have the id '${id}'.`, id);
    nodes.set(id, compileNode(id, rawNode));
  });

  const edges = compileEdges(raw.edges ?? []);
  const outgoing = new Map<string, GraphEdge[]>();
  const incoming = new Map<string, GraphEdge[]>();
  for (const edge of edges.kept) {
    push(outgoing, edge.source, edge);
    push(incoming, edge.target, edge);
  }
  const { top, scopes } = compileScopes(nodes);
  const graph: Graph = { nodes, edges: edges.kept, outgoing, incoming, top, scopes, raw };
  const warnings = [...edges.warnings, ...checkStructure(graph)];
  return { ...graph, warnings };
}

/** The JSON a graph was compiled from, exactly (deep-equal, same key order). */
export function exportGraph(graph: Graph): RawGraph {
  return structuredClone(graph.raw);
}

function compileNode(id: string, raw: RawNode): GraphNode {
  const data = raw.data;
  const title = typeof data.title === 'string' && data.title !== '' ? data.title : id;
  const container = idOf(raw.parentId) ?? idOf(data.iteration_id) ?? idOf(data.loop_id);
  return {
    id,
    type: data.type,
    version: data.version === undefined || data.version === null || data.version === '' ? '1' : String(data.version),
    title,
    data,
    container,
    policy: compilePolicy(id, title, data),
  };
}

/** Dify's retry_config and error_strategy as one value (RetryConfig, DefaultValue in api/core/workflow/nodes/base/entities.py). */
export function compilePolicy(id: string, title: string, data: RawNode['data']): NodePolicy {
  const retryConfig = isRecord(data.retry_config) ? data.retry_config : undefined;
  const maxRetries = Number(retryConfig?.max_retries ?? 0);
  const retry = retryConfig?.retry_enabled === true && maxRetries > 0 ? { maxRetries, intervalMs: Math.max(0, Number(retryConfig.retry_interval ?? 0) || 0) } : undefined;
  if (data.error_strategy === 'fail-branch') return { retry, onError: { kind: 'fail-branch' } };
  if (data.error_strategy !== 'default-value') return { retry, onError: { kind: 'fail' } };
  const outputs: Record<string, unknown> = {};
  for (const entry of Array.isArray(data.default_value) ? data.default_value : []) {
    if (!isRecord(entry) || typeof entry.key !== 'string') continue;
    // defineProperty: a key such as `__proto__` stays an output instead of replacing the object's prototype.
    Object.defineProperty(outputs, entry.key, { enumerable: true, writable: true, configurable: true, value: defaultValue(entry.type, entry.value, () => new GraphError('workflow_invalid_node', `Node ${nodeName({ id, title }, id)}: the default value of '${entry.key}' is not a ${String(entry.type)}.`, id)) });
  }
  return { retry, onError: { kind: 'default-value', outputs } };
}

/** Dify's DefaultValue validation: numbers and JSON come as text from the editor. */
function defaultValue(type: unknown, value: unknown, bad: () => GraphError): unknown {
  if (typeof value !== 'string') return value;
  if (type === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw bad();
    return n;
  }
  if (type === 'object' || (typeof type === 'string' && type.startsWith('array'))) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw bad();
    }
  }
  return value;
}

function compileEdges(rawEdges: readonly RawEdge[]): { kept: GraphEdge[]; warnings: GraphWarning[] } {
  const kept: GraphEdge[] = [];
  const warnings: GraphWarning[] = [];
  const ids = new Set<string>();
  rawEdges.forEach((edge, index) => {
    const source = isRecord(edge) ? idOf(edge.source) : undefined;
    const target = isRecord(edge) ? idOf(edge.target) : undefined;
    // Dify skips an edge without both ends (Graph._build_edges); so do we, saying so.
    if (source === undefined || target === undefined) {
      warnings.push({ kind: 'edge_without_endpoint', message: `Edge ${index} has no ${source === undefined ? 'source' : 'target'} and is ignored.` });
      return;
    }
    const handle = typeof edge.sourceHandle === 'string' && edge.sourceHandle !== '' ? edge.sourceHandle : 'source';
    let id = typeof edge.id === 'string' && edge.id !== '' ? edge.id : `${source}-${handle}-${target}-${typeof edge.targetHandle === 'string' ? edge.targetHandle : 'target'}`;
    // Edge state is kept by id in the engine: a copied edge id must not alias another edge.
    for (let n = 2; ids.has(id); n++) id = `${id}#${n}`;
    ids.add(id);
    kept.push({ id, source, target, sourceHandle: handle });
  });
  return { kept, warnings };
}

function compileScopes(nodes: ReadonlyMap<string, GraphNode>): { top: GraphScope; scopes: Map<string, GraphScope> } {
  const members = new Map<string | undefined, string[]>([[undefined, []]]);
  for (const node of nodes.values()) {
    if (CONTAINER_START[node.type] !== undefined && !members.has(node.id)) members.set(node.id, []);
  }
  for (const node of nodes.values()) {
    const container = node.container === undefined ? undefined : nodes.get(node.container);
    if (node.container !== undefined && (container === undefined || CONTAINER_START[container.type] === undefined)) {
      throw new GraphError('workflow_invalid_node', `Node ${nodeName(node, node.id)} is inside '${node.container}', which is not an iteration or loop of this graph.`, node.id);
    }
    members.get(node.container)!.push(node.id);
  }

  const scopes = new Map<string, GraphScope>();
  for (const [containerId, ids] of members) {
    if (containerId === undefined) continue;
    scopes.set(containerId, { container: containerId, root: containerRoot(nodes.get(containerId)!, ids, nodes), nodes: ids });
  }
  return { top: topScope(members.get(undefined)!, nodes), scopes };
}

function topScope(ids: readonly string[], nodes: ReadonlyMap<string, GraphNode>): GraphScope {
  const starts = ids.filter((id) => nodes.get(id)!.type === 'start');
  if (starts.length > 1) {
    throw new GraphError('workflow_no_start', `The graph has ${starts.length} start nodes (${starts.map((id) => nodeName(nodes.get(id), id)).join(', ')}); keep one.`, starts[1]);
  }
  const roots = starts.length === 1 ? starts : ids.filter((id) => TRIGGER_TYPES.includes(nodes.get(id)!.type));
  if (roots.length === 0) throw new GraphError('workflow_no_start', 'The graph has no start node.');
  return roots.length === 1 ? { container: undefined, root: roots[0]!, nodes: ids } : { container: undefined, root: roots[0]!, nodes: ids, roots };
}

/** Where a body starts: `start_node_id` when it names a child (old DSL points it at the first real node), else the child start node. */
function containerRoot(container: GraphNode, ids: readonly string[], nodes: ReadonlyMap<string, GraphNode>): string {
  const named = idOf(container.data.start_node_id);
  if (named !== undefined && ids.includes(named)) return named;
  const starts = ids.filter((id) => nodes.get(id)!.type === CONTAINER_START[container.type]);
  if (starts.length === 1) return starts[0]!;
  const what = starts.length === 0 ? `has no ${CONTAINER_START[container.type]} node` : `has ${starts.length} ${CONTAINER_START[container.type]} nodes and no start_node_id naming one`;
  throw new GraphError('workflow_invalid_node', `The ${container.type} ${nodeName(container, container.id)} ${what}.`, container.id);
}

/** Deeper than any node config Dify writes (~10 levels under `data`). */
export const MAX_CONFIG_DEPTH = 64;

/** Whether a JSON value nests deeper than `max` (iterative: no recursion to overflow). */
function tooDeep(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [at, depth] = item;
    if (typeof at !== 'object' || at === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(at) ? at : Object.values(at)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** Ids as Dify writes them are strings; YAML turns an unquoted numeric id into a number. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
