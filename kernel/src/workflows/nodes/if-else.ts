/**
 * The if-else node (Dify's IfElseNode): the first case whose conditions hold
 * names the handle taken (its `case_id`), else `false`. PURE. Old DSL (before
 * cases) has one `conditions` list with a `logical_operator`: case id `true`.
 * Outputs `result` and `selected_case_id`, as Dify's.
 */
import type { NodeResult } from '@tessera/sdk';
import type { GraphNode } from '../graph/types.js';
import { evaluateConditions, type Condition } from '../engine/conditions.js';
import type { NodeContext } from '../engine/events.js';

interface Case {
  case_id: string;
  logical_operator?: 'and' | 'or';
  conditions?: Condition[];
}

export function runIfElse(node: GraphNode, ctx: NodeContext): NodeResult<Record<string, unknown>> {
  const data = node.data as { cases?: Case[]; conditions?: Condition[]; logical_operator?: 'and' | 'or' };
  const cases: Case[] = data.cases ?? (data.conditions ? [{ case_id: 'true', logical_operator: data.logical_operator ?? 'and', conditions: data.conditions }] : []);
  for (const c of cases) {
    if (evaluateConditions(c.conditions ?? [], c.logical_operator, ctx.pool)) return { outputs: { result: true, selected_case_id: c.case_id }, handle: c.case_id };
  }
  return { outputs: { result: false, selected_case_id: 'false' }, handle: 'false' };
}
