/**
 * The end node: the workflow's outputs, each read from a selector (Dify's EndNode). PURE.
 * A declared `value_type` is checked (value-types.ts), a missing variable is null.
 */
import type { NodeResult } from '@tessera/sdk';
import type { GraphNode, Selector } from '../graph/types.js';
import { WorkflowRunError } from '../engine/errors.js';
import type { NodeContext } from '../engine/events.js';
import { VALUE_TYPES, checkValue, type ValueType } from '../engine/value-types.js';

export function runEnd(node: GraphNode, ctx: NodeContext): NodeResult<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const o of (node.data.outputs as Array<{ variable: string; value_selector?: Selector; value_type?: string }> | undefined) ?? []) {
    const value = o.value_selector?.length ? ctx.pool.get(o.value_selector) ?? null : null;
    if (o.value_type && (VALUE_TYPES as readonly string[]).includes(o.value_type)) {
      const why = checkValue(value, o.value_type as ValueType, ctx.limits.variables);
      if (why) throw new WorkflowRunError('workflow_output_invalid', `Output ${o.variable} of node ${node.id} (${node.title}) ${why}.`, node.id);
    }
    outputs[o.variable] = value;
  }
  return { outputs };
}
