/**
 * Which variables a node reads, found in its config without running it, and
 * whether each can exist when the node runs (issue #16: "a selector naming a
 * missing node"). PURE.
 *
 * The fields are Dify's (SERVICE_API.md Part B §3.2), read by shape rather than
 * per node type so a node type added later is covered too:
 * - selector lists `[node_id, var, …]` under `*_selector` keys (value_selector,
 *   variable_selector, query_variable_selector, iterator_selector, output_selector,
 *   assigned/input_variable_selector), parameter-extractor's `query`,
 *   list-operator's `variable`, an HTTP form field's `file`, variable-aggregator's
 *   `variables` (and its groups'), and a `value` marked as a variable (tool and
 *   agent parameters `type: variable`, assigner v2 `input_type: variable`, loop
 *   variables `value_type: variable`);
 * - `{{#node.var#}}` references in every other string (answer, LLM prompt text,
 *   memory query template, HTTP url/headers/params/body, tool `mixed` values,
 *   classifier/extractor instructions, if-else values).
 * Not read: code, Jinja2 templates (they bind `variables`), titles, default
 * values, output schemas, and a disabled context or vision block (Dify ignores it).
 */
import { MAX_CONFIG_DEPTH } from './compile.js';
import { GraphError, nodeName } from './errors.js';
import { templateReferences } from './templates.js';
import { NAMESPACES, type Graph, type GraphNode, type Selector } from './types.js';
import { reachable } from './validate.js';

/** A selector and where in the node's data it was found (`prompt_template.0.text`). */
export interface SelectorUse {
  readonly selector: Selector;
  readonly path: string;
}

const NOT_READ = new Set(['title', 'desc', 'type', 'version', 'selected', 'code', 'template', 'jinja2_text', 'default_value', 'error_strategy', 'retry_config', 'structured_output', 'model', 'height', 'width']);
const SELECTOR_KEYS = new Set(['query', 'variable', 'file']);
const VARIABLE_MARKS = ['type', 'input_type', 'value_type'];

/** Every selector a node's data uses, in the order the fields come. */
export function referencedSelectors(node: GraphNode): Selector[] {
  return selectorUses(node).map((use) => use.selector);
}


export function selectorUses(node: GraphNode): SelectorUse[] {
  const uses: SelectorUse[] = [];
  walk(node.data, '', undefined, uses, node, 0);
  return uses;
}

function walk(value: unknown, path: string, parent: Record<string, unknown> | undefined, uses: SelectorUse[], node: GraphNode, depth: number): void {
  // compileGraph refuses deeper graphs; this guards graphs built by hand.
  if (depth > MAX_CONFIG_DEPTH) throw new GraphError('workflow_invalid_node', `Node ${nodeName(node, node.id)}: its config is nested more than ${MAX_CONFIG_DEPTH} levels deep (at ${path}).`, node.id);
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (typeof value === 'string') {
    for (const selector of templateReferences(value)) uses.push({ selector, path });
    return;
  }
  if (Array.isArray(value)) {
    if (isSelector(value) && isSelectorField(key, parent)) {
      uses.push({ selector: value, path });
      return;
    }
    value.forEach((item, i) => {
      // variable-aggregator's `variables` is a list of selectors.
      if (key === 'variables' && Array.isArray(item)) {
        if (isSelector(item)) uses.push({ selector: item, path: `${path}.${i}` });
        return;
      }
      walk(item, `${path}.${i}`, undefined, uses, node, depth + 1);
    });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  if ((key === 'context' || key === 'vision') && record.enabled === false) return;
  for (const [name, child] of Object.entries(record)) {
    if (NOT_READ.has(name)) continue;
    // A code node's `outputs` is a schema; an end node's is a list of selectors.
    if (name === 'outputs' && !Array.isArray(child)) continue;
    walk(child, path === '' ? name : `${path}.${name}`, record, uses, node, depth + 1);
  }
}

function isSelector(value: readonly unknown[]): value is string[] {
  return value.length >= 2 && value.every((part) => typeof part === 'string');
}

function isSelectorField(key: string, parent: Record<string, unknown> | undefined): boolean {
  if (key.endsWith('selector') || SELECTOR_KEYS.has(key)) return true;
  return key === 'value' && parent !== undefined && VARIABLE_MARKS.some((mark) => parent[mark] === 'variable');
}

/** Throws the first selector error of the graph (see {@link selectorIssues}). */
export function validateSelectors(graph: Graph): void {
  const [first] = selectorIssues(graph);
  if (first) throw first;
}

/**
 * A coded error for each selector naming a node that does not exist, or one that
 * does not run before the reading node: allowed are the nodes upstream in its
 * scope and, for each enclosing iteration or loop, the container (`item`/`index`
 * of an iteration, a loop's variables and `index`) and what is upstream of it; a
 * container also reads its own variables and its body's outputs (output_selector,
 * break conditions). `sys`, `env` and `conversation` are always allowed. Nodes
 * that never run (unreachable: a warning of compileGraph) are not checked, as
 * Dify never evaluates them.
 */
export function selectorIssues(graph: Graph): GraphError[] {
  const errors: GraphError[] = [];
  const live = new Set<string>();
  for (const scope of [graph.top, ...graph.scopes.values()]) for (const id of reachable(graph, scope)) live.add(id);
  const upstream = ancestry(graph);
  const bodies = new Map<string, Set<string>>();
  const bodyOfCached = (id: string) => bodies.get(id) ?? bodies.set(id, new Set(bodyOf(graph, id))).get(id)!;
  for (const node of graph.nodes.values()) {
    if (!live.has(node.id)) continue;
    for (const { selector, path } of selectorUses(node)) {
      const head = selector[0]!;
      if ((NAMESPACES as readonly string[]).includes(head)) continue;
      const target = graph.nodes.get(head);
      const where = `${nodeName(node, node.id)} reads ${selector.join('.')} (${path})`;
      if (!target) {
        errors.push(new GraphError('workflow_selector_unknown_node', `Node ${where}, but the graph has no node '${head}'.`, node.id, head));
        continue;
      }
      const why = refusal(node, selector, upstream, bodyOfCached, graph);
      if (why !== undefined) errors.push(new GraphError('workflow_selector_not_upstream', `Node ${where} of ${nodeName(target, head)}, ${why}.`, node.id, head));
    }
  }
  return errors;
}

/** Why `node` may not read `selector` (undefined: it may). */
function refusal(node: GraphNode, selector: Selector, upstream: (id: string, of: string) => boolean, body: (id: string) => ReadonlySet<string>, graph: Graph): string | undefined {
  const head = selector[0]!;
  // A container reads its own variables and its body's outputs (output_selector, break conditions).
  if (graph.scopes.has(node.id) && (head === node.id || body(node.id).has(head))) return undefined;
  if (upstream(head, node.id)) return undefined;
  for (let container = enclosing(graph, node); container; container = enclosing(graph, container)) {
    if (head === container.id) {
      const names = bodyVariables(container);
      return names.has(selector[1]!) ? undefined : `which gives its body only ${[...names].join(', ')}`;
    }
    if (upstream(head, container.id)) return undefined;
  }
  return 'which does not run before it';
}

/**
 * Whether one node runs before another in the same scope: ancestor bit sets in
 * topological order, so a graph's check is linear in its edges times nodes/32
 * (a 5,000-node chain: ~3 MB, milliseconds; a BFS per node took 4.7 s).
 */
function ancestry(graph: Graph): (id: string, of: string) => boolean {
  const index = new Map<string, number>();
  const bits = new Map<string, Uint32Array>();
  for (const scope of [graph.top, ...graph.scopes.values()]) {
    scope.nodes.forEach((id, i) => index.set(id, i));
    const words = Math.ceil(scope.nodes.length / 32);
    const pending = new Map(scope.nodes.map((id) => [id, (graph.incoming.get(id) ?? []).length]));
    const ready = scope.nodes.filter((id) => pending.get(id) === 0);
    for (const id of scope.nodes) bits.set(id, new Uint32Array(words));
    // Kahn's order: every predecessor is done before its successors (the scope is acyclic once compiled).
    for (let at = ready.pop(); at !== undefined; at = ready.pop()) {
      const own = bits.get(at)!;
      const bit = index.get(at)!;
      for (const edge of graph.outgoing.get(at) ?? []) {
        const next = bits.get(edge.target)!;
        for (let w = 0; w < words; w++) next[w]! |= own[w]!;
        next[bit >>> 5]! |= 1 << (bit & 31);
        const left = pending.get(edge.target)! - 1;
        pending.set(edge.target, left);
        if (left === 0) ready.push(edge.target);
      }
    }
  }
  return (id, of) => {
    const node = graph.nodes.get(id);
    const other = graph.nodes.get(of);
    if (!node || !other || node.container !== other.container) return false;
    const i = index.get(id)!;
    return ((bits.get(of)![i >>> 5]! >>> (i & 31)) & 1) === 1;
  };
}

function enclosing(graph: Graph, node: GraphNode): GraphNode | undefined {
  return node.container === undefined ? undefined : graph.nodes.get(node.container);
}

/** The node ids inside a container, nested bodies included. */
function bodyOf(graph: Graph, containerId: string): string[] {
  const ids = [...(graph.scopes.get(containerId)?.nodes ?? [])];
  for (const id of [...ids]) if (graph.scopes.has(id)) ids.push(...bodyOf(graph, id));
  return ids;
}

/** What a container gives the nodes of its body: Dify's iteration `item`/`index`, a loop's variables. */
function bodyVariables(container: GraphNode): ReadonlySet<string> {
  if (container.type !== 'loop') return new Set(['item', 'index']);
  const names = new Set(['index']);
  const variables = container.data.loop_variables;
  if (Array.isArray(variables)) for (const v of variables) if (v && typeof v === 'object' && typeof (v as { label?: unknown }).label === 'string') names.add((v as { label: string }).label);
  return names;
}
