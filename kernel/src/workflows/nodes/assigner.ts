/**
 * The variable assigner (`assigner`): v2 `items` with Dify's operations, and v1's
 * single `assigned_variable_selector` + `write_mode` (api/core/workflow/nodes/
 * variable_assigner/v1, v2). PURE. It writes the pool in place: loop variables
 * (`[loop_id, name]`) and conversation variables (`conversation.*`; persisting
 * them per conversation is the chatflow runner's).
 */
import type { NodeResult } from '@tessera/sdk';
import type { GraphNode, Selector } from '../graph/types.js';
import type { NodeContext } from '../engine/events.js';

interface Item {
  variable_selector: Selector;
  input_type?: 'variable' | 'constant';
  operation: string;
  value?: unknown;
}

export function runAssigner(node: GraphNode, ctx: NodeContext): NodeResult<Record<string, unknown>> {
  const data = node.data as { version?: string; items?: Item[]; assigned_variable_selector?: Selector; input_variable_selector?: Selector; write_mode?: string };
  const items: Item[] = data.items ?? (data.assigned_variable_selector
    ? [{ variable_selector: data.assigned_variable_selector, input_type: 'variable', operation: data.write_mode ?? 'over-write', value: data.input_variable_selector }]
    : []);
  for (const item of items) {
    const [owner, name] = item.variable_selector;
    if (owner === undefined || name === undefined) throw new Error(`Node ${node.id}: a variable selector is incomplete.`);
    const current = ctx.pool.get(item.variable_selector);
    const input = item.input_type === 'variable' ? (Array.isArray(item.value) ? ctx.pool.get(item.value as string[]) : undefined) : item.value;
    ctx.pool.set(owner, name, apply(item.operation, current, input, item.variable_selector.join('.')));
  }
  return { outputs: {} };
}

function apply(op: string, current: unknown, input: unknown, name: string): unknown {
  const num = (v: unknown) => {
    if (typeof v !== 'number') throw new Error(`${name}: the operation '${op}' needs numbers.`);
    return v;
  };
  const arr = (v: unknown) => {
    if (!Array.isArray(v)) throw new Error(`${name}: the operation '${op}' needs an array variable.`);
    return v;
  };
  switch (op) {
    case 'over-write': case 'set': return input;
    case 'clear': return Array.isArray(current) ? [] : typeof current === 'number' ? 0 : typeof current === 'string' ? '' : typeof current === 'boolean' ? false : current !== null && typeof current === 'object' ? {} : null;
    case 'append': return [...arr(current), input];
    case 'extend': return [...arr(current), ...arr(input)];
    case 'remove-first': return arr(current).slice(1);
    case 'remove-last': return arr(current).slice(0, -1);
    case '+=': return num(current) + num(input);
    case '-=': return num(current) - num(input);
    case '*=': return num(current) * num(input);
    case '/=': {
      const d = num(input);
      if (d === 0) throw new Error(`${name}: division by zero.`);
      return num(current) / d;
    }
    default: throw new Error(`${name}: unknown operation '${op}'.`);
  }
}
