/**
 * A small Dify-graph-JSON → Graph builder (no checks), kept for tests that build
 * graphs the compiler would refuse; the engine table uses compileGraph. Sticky notes dropped,
 * missing handles `source`, scopes by `parentId`/`iteration_id`/`loop_id`, the
 * node policy from `error_strategy`, `default_value` and `retry_config`. No checks.
 */
import type { Graph, GraphEdge, GraphNode, GraphScope, NodePolicy, RawGraph, RawNode } from '../../../src/workflows/graph/types.js';

export function buildGraph(raw: RawGraph): Graph {
  const nodes = new Map<string, GraphNode>();
  for (const n of raw.nodes) if (n.type !== 'custom-note' && n.data?.type) nodes.set(n.id, node(n));
  const edges: GraphEdge[] = raw.edges.map((e, i) => ({ id: e.id ?? `e${i}`, source: e.source, target: e.target, sourceHandle: e.sourceHandle ?? 'source' }));
  const outgoing = new Map<string, GraphEdge[]>();
  const incoming = new Map<string, GraphEdge[]>();
  for (const e of edges) {
    outgoing.set(e.source, [...(outgoing.get(e.source) ?? []), e]);
    incoming.set(e.target, [...(incoming.get(e.target) ?? []), e]);
  }
  const members = (container: string | undefined) => [...nodes.values()].filter((n) => n.container === container).map((n) => n.id);
  const start = [...nodes.values()].find((n) => n.type === 'start' && n.container === undefined);
  const top: GraphScope = { container: undefined, root: start?.id ?? '', nodes: members(undefined) };
  const scopes = new Map<string, GraphScope>();
  for (const n of nodes.values()) {
    if (n.type !== 'iteration' && n.type !== 'loop') continue;
    const body = members(n.id);
    const root = (n.data.start_node_id as string | undefined) ?? body.find((id) => nodes.get(id)!.type === `${n.type}-start`) ?? body[0]!;
    scopes.set(n.id, { container: n.id, root, nodes: body });
  }
  return { nodes, edges, outgoing, incoming, top, scopes, raw };
}

function node(n: RawNode): GraphNode {
  const d = n.data;
  const retry = d.retry_config?.retry_enabled ? { maxRetries: d.retry_config.max_retries ?? 0, intervalMs: d.retry_config.retry_interval ?? 0 } : undefined;
  const onError: NodePolicy['onError'] =
    d.error_strategy === 'fail-branch' ? { kind: 'fail-branch' }
    : d.error_strategy === 'default-value' ? { kind: 'default-value', outputs: Object.fromEntries((d.default_value ?? []).map((v) => [v.key, v.value])) }
    : { kind: 'fail' };
  const container = n.parentId ?? d.iteration_id ?? d.loop_id;
  return { id: n.id, type: d.type, version: d.version ?? '1', title: d.title ?? n.id, data: d, container: typeof container === 'string' ? container : undefined, policy: { retry, onError } };
}
