/**
 * The logic nodes (issue #16): the pure node types of the `nodes-logic` package
 * to be, here so the engine's tests run real nodes over DSL-shaped graphs. PURE.
 * `executeLogicNode` is an `ExecuteNode`; node types it does not know are errors.
 */
import type { ExecuteNode } from '../engine/events.js';
import type { GraphNode } from '../graph/types.js';
import type { NodeContext } from '../engine/events.js';
import { runAnswer } from './answer.js';
import { runAssigner } from './assigner.js';
import { runEnd } from './end.js';
import { runIfElse } from './if-else.js';
import { runStart } from './start.js';
import { runVariableAggregator } from './variable-aggregator.js';

type Run = (node: GraphNode, ctx: NodeContext) => ReturnType<ExecuteNode>;

export const LOGIC_NODES: Readonly<Record<string, Run>> = {
  start: runStart,
  end: runEnd,
  answer: runAnswer,
  'if-else': runIfElse,
  'variable-aggregator': runVariableAggregator,
  'variable-assigner': runVariableAggregator,
  assigner: runAssigner,
};

export const executeLogicNode: ExecuteNode = (node, ctx) => {
  const run = LOGIC_NODES[node.type];
  if (!run) throw new Error(`Node type '${node.type}' is not available.`);
  return run(node, ctx);
};
