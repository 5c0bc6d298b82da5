/**
 * The start node (issue #16): validates the run's inputs against its variables
 * and outputs them, with the system variables as `sys.*` outputs as Dify's
 * StartNode does (api/core/workflow/nodes/start/start_node.py). PURE.
 */
import type { NodeResult } from '@tessera/sdk';
import type { GraphNode } from '../graph/types.js';
import type { NodeContext } from '../engine/events.js';

interface StartVariable {
  variable: string;
  label?: string;
  type?: string;
  required?: boolean;
  max_length?: number;
  options?: string[];
  default?: unknown;
}

const SYSTEM = ['query', 'files', 'user_id', 'conversation_id', 'dialogue_count', 'app_id', 'workflow_id', 'workflow_run_id', 'timestamp'];

export function runStart(node: GraphNode, ctx: NodeContext): NodeResult<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const v of (node.data.variables as StartVariable[] | undefined) ?? []) {
    const value = ctx.pool.inputs[v.variable] ?? v.default;
    if (value === undefined || value === null || value === '') {
      if (v.required) throw new Error(`${v.variable} is required in input form`);
      outputs[v.variable] = value ?? null;
      continue;
    }
    outputs[v.variable] = coerce(v, value);
  }
  // Inputs the form does not declare pass through too (Dify outputs all user inputs).
  for (const [k, val] of Object.entries(ctx.pool.inputs)) if (!(k in outputs)) outputs[k] = val;
  for (const k of SYSTEM) {
    const val = ctx.pool.get(['sys', k]);
    if (val !== undefined) outputs[`sys.${k}`] = val;
  }
  return { outputs };
}

function coerce(v: StartVariable, value: unknown): unknown {
  switch (v.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'boolean' || Number.isNaN(n)) throw new Error(`${v.variable} in input form must be a valid number`);
      return n;
    }
    case 'text-input': case 'paragraph': case 'select': case undefined: {
      if (typeof value !== 'string') throw new Error(`${v.variable} in input form must be a string`);
      if (v.type === 'select' && v.options && !v.options.includes(value)) throw new Error(`${v.variable} in input form must be one of the following: ${JSON.stringify(v.options)}`);
      if (v.max_length !== undefined && value.length > v.max_length) throw new Error(`${v.variable} in input form must be less than ${v.max_length} characters`);
      return value;
    }
    case 'checkbox':
      if (typeof value !== 'boolean') throw new Error(`${v.variable} in input form must be a boolean`);
      return value;
    case 'json_object': {
      const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${v.variable} in input form must be a JSON object`);
      return parsed;
    }
    default:
      return value; // file, file-list: the runner resolves uploads into file objects
  }
}
