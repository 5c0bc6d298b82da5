/**
 * The variable pool of a workflow run (issue #16): every value a node can read,
 * addressed by a selector `[node_id, variable, ...path]`. PURE.
 *
 * `sys`, `env` and `conversation` are namespaces in place of a node id (Dify's
 * SYSTEM_VARIABLE_NODE_ID, ENVIRONMENT_VARIABLE_NODE_ID, CONVERSATION_VARIABLE_NODE_ID).
 * A path past the variable walks objects by key and arrays by index, so
 * `[start, doc, name]` reads a file object's attribute as Dify's `get` does (below).
 *
 * Iterations and loops run their body in a child pool: reads fall through to the
 * parent, writes stay in the child, so parallel iterations do not see each other.
 */
import type { Selector } from '../graph/types.js';
import { isFileValue } from './value-types.js';

/** Dify's system variables (`sys.*`); `files` is an array of file objects. */
export interface SystemVariables {
  readonly query?: string;
  readonly files?: readonly unknown[];
  readonly user_id?: string;
  readonly conversation_id?: string;
  readonly dialogue_count?: number;
  readonly app_id?: string;
  readonly workflow_id?: string;
  readonly workflow_run_id?: string;
  readonly timestamp?: number;
}

export interface PoolSeed {
  /** The run's user inputs (what the start node validates and outputs). */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly system?: SystemVariables;
  readonly environment?: Readonly<Record<string, unknown>>;
  readonly conversation?: Readonly<Record<string, unknown>>;
}

export class VariablePool {
  /** node id (or namespace) → variable → value. */
  private readonly vars = new Map<string, Map<string, unknown>>();

  /** The run's user inputs, for the start node (Dify's `variable_pool.user_inputs`). */
  readonly inputs: Readonly<Record<string, unknown>>;

  constructor(seed: PoolSeed = {}, private readonly parent?: VariablePool) {
    this.inputs = seed.inputs ?? parent?.inputs ?? {};
    if (seed.system) this.setAll('sys', seed.system as Readonly<Record<string, unknown>>);
    if (seed.environment) this.setAll('env', seed.environment);
    if (seed.conversation) this.setAll('conversation', seed.conversation);
  }

  /** A pool whose reads fall through to this one and whose writes stay its own. */
  child(): VariablePool {
    return new VariablePool({}, this);
  }

  set(nodeId: string, variable: string, value: unknown): void {
    let node = this.vars.get(nodeId);
    if (!node) this.vars.set(nodeId, (node = new Map()));
    node.set(variable, value);
  }

  /** Every output of a node at once (what a finished node leaves in the pool). */
  setAll(nodeId: string, values: Readonly<Record<string, unknown>>): void {
    for (const [k, v] of Object.entries(values)) if (v !== undefined) this.set(nodeId, k, v);
  }

  /** Whether `[node, variable]` is in the pool (here or in a parent). */
  has(selector: Selector): boolean {
    return this.lookup(selector[0], selector[1]) !== MISSING;
  }

  /** The value at `selector`, or `undefined` when any step of it is missing. */
  get(selector: Selector): unknown {
    if (selector.length < 2) return undefined;
    let value = this.lookup(selector[0]!, selector[1]!);
    if (value === MISSING) return undefined;
    for (let i = 2; i < selector.length && value !== undefined; i++) value = step(value, selector[i]!);
    return value;
  }

  /** A node's outputs in this pool (not its parents'), e.g. for an iteration's last round. */
  outputsOf(nodeId: string): Record<string, unknown> {
    return Object.fromEntries(this.vars.get(nodeId) ?? []);
  }

  private lookup(nodeId: string | undefined, variable: string | undefined): unknown {
    if (nodeId === undefined || variable === undefined) return MISSING;
    const node = this.vars.get(nodeId);
    if (node?.has(variable)) return node.get(variable);
    return this.parent ? this.parent.lookup(nodeId, variable) : MISSING;
  }
}

const MISSING = Symbol('missing');

/**
 * Dify's FileAttribute names → the file object's fields (core/file/file_manager.get_attr):
 * `[node, file, 'name']` is the file's `filename`, `url` its URL.
 */
const FILE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  name: ['filename'], url: ['url', 'remote_url'], type: ['type'], size: ['size'], mime_type: ['mime_type'],
  transfer_method: ['transfer_method'], extension: ['extension'], related_id: ['related_id'],
};

function step(value: unknown, key: string): unknown {
  if (isFileValue(value) && key in FILE_ATTRIBUTES) {
    const file = value as Record<string, unknown>;
    for (const field of FILE_ATTRIBUTES[key]!) if (file[field] !== undefined && file[field] !== null) return file[field];
    return undefined;
  }
  if (Array.isArray(value)) {
    const i = Number(key);
    return Number.isInteger(i) && i >= 0 ? value[i] : undefined;
  }
  if (value !== null && typeof value === 'object') return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  return undefined;
}
