/**
 * Dify's variable types (SegmentType, api/core/variables/types.py) and the checks
 * the engine makes on node outputs. PURE.
 *
 * Limits are configuration (`VariableLimits`); the defaults are Dify's
 * (api/configs/feature/__init__.py: CodeExecutionSandboxConfig's CODE_MAX_* for
 * declared output types, WorkflowConfig.MAX_VARIABLE_SIZE for any one variable).
 */

export const VALUE_TYPES = [
  'string', 'number', 'integer', 'float', 'boolean', 'object', 'secret', 'file',
  'array[any]', 'array[string]', 'array[number]', 'array[object]', 'array[boolean]', 'array[file]', 'none',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export interface VariableLimits {
  /** CODE_MAX_STRING_LENGTH. */
  readonly maxStringLength: number;
  /** CODE_MAX_DEPTH: nesting of objects and arrays. */
  readonly maxDepth: number;
  /** CODE_MAX_STRING_ARRAY_LENGTH, CODE_MAX_OBJECT_ARRAY_LENGTH, CODE_MAX_NUMBER_ARRAY_LENGTH. */
  readonly maxStringArrayLength: number;
  readonly maxObjectArrayLength: number;
  readonly maxNumberArrayLength: number;
  /** CODE_MAX_NUMBER / CODE_MIN_NUMBER (int64 bounds; a JS number only reaches ±2^53 exactly). */
  readonly maxNumber: number;
  readonly minNumber: number;
  /** MAX_VARIABLE_SIZE: bytes of one variable's JSON (200 KB). */
  readonly maxVariableSize: number;
}

export const DEFAULT_VARIABLE_LIMITS: VariableLimits = {
  maxStringLength: 80_000,
  maxDepth: 5,
  maxStringArrayLength: 30,
  maxObjectArrayLength: 30,
  maxNumberArrayLength: 1000,
  maxNumber: 9_223_372_036_854_775_807,
  minNumber: -9_223_372_036_854_775_807,
  maxVariableSize: 200 * 1024,
};

export function isFileValue(v: unknown): boolean {
  // Dify's File model: dify_model_identity '__dify__file__', or at least a transfer method and type.
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const f = v as Record<string, unknown>;
  return f.dify_model_identity === '__dify__file__' || (typeof f.transfer_method === 'string' && typeof f.type === 'string');
}

/** The type Dify infers for a value (variable_factory.build_segment). */
export function inferType(v: unknown): ValueType {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'float';
  if (typeof v === 'boolean') return 'boolean';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'array[any]';
    const each = v.map((x) => (typeof x === 'number' ? 'number' : isFileValue(x) ? 'file' : inferType(x)));
    const first = each[0];
    return each.every((t) => t === first) && (first === 'string' || first === 'number' || first === 'object' || first === 'boolean' || first === 'file') ? (`array[${first}]` as ValueType) : 'array[any]';
  }
  return isFileValue(v) ? 'file' : 'object';
}

/** Why `value` is not of `type` within `limits`, or undefined when it is (null passes: Dify allows an unset output). */
export function checkValue(value: unknown, type: ValueType, limits: VariableLimits = DEFAULT_VARIABLE_LIMITS): string | undefined {
  if (value === null || value === undefined || type === 'none') return undefined;
  const scalar = (t: string, v: unknown): string | undefined => {
    switch (t) {
      case 'string': case 'secret':
        if (typeof v !== 'string') return `must be a string, got ${inferType(v)}`;
        return v.length > limits.maxStringLength ? `is longer than ${limits.maxStringLength} characters` : undefined;
      case 'number': case 'float': case 'integer':
        if (typeof v !== 'number' || Number.isNaN(v)) return `must be a number, got ${inferType(v)}`;
        if (t === 'integer' && !Number.isInteger(v)) return 'must be an integer';
        return v > limits.maxNumber || v < limits.minNumber ? `is out of range ${limits.minNumber}..${limits.maxNumber}` : undefined;
      case 'boolean': return typeof v === 'boolean' ? undefined : `must be a boolean, got ${inferType(v)}`;
      case 'file': return isFileValue(v) ? undefined : 'must be a file';
      case 'object':
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return `must be an object, got ${inferType(v)}`;
        return depth(v) > limits.maxDepth ? `is nested deeper than ${limits.maxDepth}` : undefined;
      default: return undefined;
    }
  };
  const array = /^array\[(\w+)\]$/.exec(type);
  if (!array) return scalar(type, value);
  if (!Array.isArray(value)) return `must be an ${type}, got ${inferType(value)}`;
  const item = array[1]!;
  const max = item === 'string' ? limits.maxStringArrayLength : item === 'object' ? limits.maxObjectArrayLength : item === 'number' ? limits.maxNumberArrayLength : Infinity;
  if (value.length > max) return `has more than ${max} items`;
  if (item === 'any') return depth(value) > limits.maxDepth ? `is nested deeper than ${limits.maxDepth}` : undefined;
  for (let i = 0; i < value.length; i++) {
    const why = scalar(item, value[i]);
    if (why) return `item ${i} ${why}`;
  }
  return undefined;
}

/** Why a node's output variable is too large (MAX_VARIABLE_SIZE), or undefined. Cheap for scalars. */
export function checkSize(value: unknown, limits: VariableLimits): string | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === undefined) return undefined;
  // UTF-16 length is an upper bound for ASCII, a lower one for wide characters: count UTF-8 bytes only near the limit.
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length * 3 <= limits.maxVariableSize) return undefined;
  const bytes = new TextEncoder().encode(text).length;
  return bytes > limits.maxVariableSize ? `is ${bytes} bytes, over the ${limits.maxVariableSize}-byte limit` : undefined;
}

function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let max = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) max = Math.max(max, depth(x));
  return max + 1;
}
