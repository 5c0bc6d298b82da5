/**
 * The variable aggregator (Dify's VariableAggregatorNode; the legacy type id
 * `variable-assigner` runs the same code): the first of its variables that has a
 * value, as `output`; with groups enabled, each group's as `{group_name: {output}}`.
 * Typically joins branches of which only one ran. PURE.
 */
import type { NodeResult } from '@tessera/sdk';
import type { GraphNode, Selector } from '../graph/types.js';
import type { NodeContext } from '../engine/events.js';
import type { VariablePool } from '../engine/variable-pool.js';

interface AggregatorData {
  variables?: Selector[];
  advanced_settings?: { group_enabled?: boolean; groups?: Array<{ group_name: string; variables?: Selector[] }> };
}

function first(selectors: readonly Selector[] | undefined, pool: VariablePool): unknown {
  for (const s of selectors ?? []) {
    const v = pool.get(s);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export function runVariableAggregator(node: GraphNode, ctx: NodeContext): NodeResult<Record<string, unknown>> {
  const data = node.data as AggregatorData;
  if (data.advanced_settings?.group_enabled) {
    const outputs: Record<string, unknown> = {};
    for (const g of data.advanced_settings.groups ?? []) {
      const v = first(g.variables, ctx.pool);
      if (v !== undefined) outputs[g.group_name] = { output: v };
    }
    return { outputs };
  }
  const v = first(data.variables, ctx.pool);
  return { outputs: v === undefined ? {} : { output: v } };
}
