/**
 * Structure checks on a compiled graph (issue #16, "Bad input"). PURE.
 *
 * Errors (a coded GraphError naming the node) for what cannot run: a dangling
 * edge, an edge between scopes, a cycle (loops are containers, so a cycle in any
 * scope is an error). Warnings for what Dify runs anyway (api/core/workflow/graph:
 * its validators check only edge ends and the root):
 * - a node unreachable from its scope's root never runs (Dify builds it and never
 *   schedules it; the 0.x engine dropped it);
 * - a `fail-branch` edge from a node whose error_strategy is not fail-branch is,
 *   in Dify, an ordinary edge taken on success (EdgeProcessor: only branch nodes
 *   select edges by handle), which is rarely what the author meant.
 */
import { GraphError, nodeName } from './errors.js';
import type { Graph, GraphEdge, GraphScope, GraphWarning } from './types.js';

/** Throws the first structural error; returns the warnings. */
export function checkStructure(graph: Graph): GraphWarning[] {
  const { errors, warnings } = structureIssues(graph);
  if (errors[0]) throw errors[0];
  return warnings;
}

/** Every structural problem of the graph, errors and warnings, in graph order. */
export function structureIssues(graph: Graph): { errors: GraphError[]; warnings: GraphWarning[] } {
  const errors: GraphError[] = [];
  const warnings: GraphWarning[] = [];
  const name = (id: string) => nodeName(graph.nodes.get(id), id);
  for (const edge of graph.edges) {
    const source = graph.nodes.get(edge.source);
    const target = graph.nodes.get(edge.target);
    if (!source || !target) {
      const missing = !source ? edge.source : edge.target;
      const other = !source ? target : source;
      errors.push(new GraphError('workflow_dangling_edge', `Edge ${edge.id} ${!source ? 'comes from' : 'goes to'} '${missing}', which is not a node of the graph.`, other?.id ?? missing, missing));
      continue;
    }
    if (source.container !== target.container) {
      errors.push(new GraphError('workflow_edge_crosses_scope', `Edge ${edge.id} joins ${name(source.id)} (${where(source.container, graph)}) to ${name(target.id)} (${where(target.container, graph)}); an edge stays inside one iteration or loop.`, source.id, target.id));
      continue;
    }
    if (edge.sourceHandle === 'fail-branch' && source.policy.onError.kind !== 'fail-branch') {
      warnings.push({ kind: 'fail_branch_without_strategy', message: `Node ${name(source.id)} has a fail-branch edge but its error strategy is not fail-branch; Dify takes that edge whenever the node succeeds.`, nodeId: source.id });
    }
  }
  if (errors.length > 0) return { errors, warnings };

  for (const scope of [graph.top, ...graph.scopes.values()]) {
    const cycle = findCycle(graph, scope);
    if (cycle) errors.push(new GraphError('workflow_cycle', `The graph has a cycle through ${cycle.map(name).join(' → ')}; use a loop node to repeat steps.`, cycle[0], cycle[1]));
    const reached = reachable(graph, scope);
    for (const id of scope.nodes) {
      if (!reached.has(id)) warnings.push({ kind: 'unreachable_node', message: `Node ${name(id)} is not connected to ${where(scope.container, graph)}'s start and never runs.`, nodeId: id });
    }
  }
  return { errors, warnings };
}

/**
 * Reports nodes whose type (or type at that version) nothing provides: `known`
 * is the node registry's answer (node contributions of installed plugins).
 */
export function validateNodeTypes(graph: Graph, known: (type: string, version: string) => boolean): void {
  const unknown = [...graph.nodes.values()].filter((node) => !known(node.type, node.version));
  const first = unknown[0];
  if (!first) return;
  const more = unknown.length > 1 ? ` (and ${unknown.length - 1} more: ${unknown.slice(1, 6).map((n) => `'${n.type}' v${n.version}`).join(', ')})` : '';
  throw new GraphError('workflow_unknown_node_type', `Node ${nodeName(first, first.id)} is of type '${first.type}' version ${first.version}, which no installed node plugin provides${more}.`, first.id);
}

/** The edges of a node that stay in its scope (all of them, once the structure checks passed). */
export function scopeEdges(graph: Graph, id: string, direction: 'out' | 'in'): readonly GraphEdge[] {
  return (direction === 'out' ? graph.outgoing : graph.incoming).get(id) ?? [];
}

/** The node ids reachable from a scope's entries. */
export function reachable(graph: Graph, scope: GraphScope): Set<string> {
  const seen = new Set<string>(scope.roots ?? [scope.root]);
  const queue = [...seen];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const edge of scopeEdges(graph, id, 'out')) {
      if (!seen.has(edge.target)) {
        seen.add(edge.target);
        queue.push(edge.target);
      }
    }
  }
  return seen;
}

/** The nodes that run before `id` in its own scope (its ancestors along edges). */
export function upstreamInScope(graph: Graph, id: string): Set<string> {
  const seen = new Set<string>();
  const queue = [id];
  for (let at = queue.pop(); at !== undefined; at = queue.pop()) {
    for (const edge of scopeEdges(graph, at, 'in')) {
      if (!seen.has(edge.source)) {
        seen.add(edge.source);
        queue.push(edge.source);
      }
    }
  }
  seen.delete(id);
  return seen;
}

/** A cycle in one scope as the node ids along it, or undefined. Iterative DFS: graphs of a few hundred nodes, no recursion limit. */
function findCycle(graph: Graph, scope: GraphScope): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 on the path, 2 done
  for (const start of scope.nodes) {
    if (state.has(start)) continue;
    const path: string[] = [start];
    const next: number[] = [0];
    state.set(start, 1);
    while (path.length > 0) {
      const at = path[path.length - 1]!;
      const edges = scopeEdges(graph, at, 'out');
      const i = next[next.length - 1]!;
      if (i >= edges.length) {
        state.set(at, 2);
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const target = edges[i]!.target;
      if (state.get(target) === 1) return [...path.slice(path.indexOf(target)), target];
      if (!state.has(target)) {
        state.set(target, 1);
        path.push(target);
        next.push(0);
      }
    }
  }
  return undefined;
}

function where(container: string | undefined, graph: Graph): string {
  return container === undefined ? 'the top level' : `the body of ${nodeName(graph.nodes.get(container), container)}`;
}
