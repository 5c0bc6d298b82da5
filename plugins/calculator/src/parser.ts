/**
 * A small, safe arithmetic language: tokenizer, recursive-descent parser and
 * evaluator. No `eval`, no `Function`, no property access — only numbers,
 * operators, the constants in {@link CONSTANTS} and the functions in
 * {@link FUNCTIONS}.
 *
 * Grammar (lowest precedence first):
 *
 * ```
 * expression := term (("+" | "-") term)*
 * term       := unary (("*" | "/" | "%") unary)*
 * unary      := ("-" | "+") unary | power
 * power      := primary (("^" | "**") unary)?        right-associative: 2^3^2 = 2^9
 * primary    := number | constant | function "(" arguments ")" | "(" expression ")"
 * arguments  := expression ("," expression)*
 * ```
 *
 * Unary minus binds looser than `^`, as in mathematics: `-2^2` is `-4`, and
 * `2^-1` is `0.5`. Trigonometric functions work in radians. Positions in
 * error messages are 0-based character offsets into the expression.
 *
 * @module
 */

/** Maximum accepted expression length, in characters. */
export const MAX_EXPRESSION_LENGTH = 1000;

/** A parse or evaluation error, with the 0-based position of the problem. */
export class ExpressionError extends Error {
  /** 0-based character offset of the problem. */
  readonly position: number;

  /**
   * @param reason - What is wrong, without the position.
   * @param position - 0-based character offset.
   */
  constructor(reason: string, position: number) {
    super(`${reason} at ${position}`);
    this.name = "ExpressionError";
    this.position = position;
  }
}

type TokenType = "number" | "identifier" | "operator" | "(" | ")" | "," | "end";

interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly position: number;
  readonly value?: number;
}

/** The expression tree. */
export type Node =
  | { readonly type: "number"; readonly value: number; readonly position: number }
  | { readonly type: "constant"; readonly name: string; readonly position: number }
  | { readonly type: "unary"; readonly operator: "-" | "+"; readonly operand: Node; readonly position: number }
  | { readonly type: "binary"; readonly operator: BinaryOperator; readonly left: Node; readonly right: Node; readonly position: number }
  | { readonly type: "call"; readonly name: string; readonly args: readonly Node[]; readonly position: number };

/** The binary operators (`**` is normalised to `^`). */
export type BinaryOperator = "+" | "-" | "*" | "/" | "%" | "^";

/** Named constants (case-insensitive). */
export const CONSTANTS: Readonly<Record<string, number>> = Object.freeze({ pi: Math.PI, e: Math.E });

interface FunctionSpec {
  readonly arity: number | "variadic";
  readonly fn: (...args: number[]) => number;
}

/** Built-in functions (case-insensitive). */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = Object.freeze({
  sqrt: { arity: 1, fn: Math.sqrt },
  abs: { arity: 1, fn: Math.abs },
  sin: { arity: 1, fn: Math.sin },
  cos: { arity: 1, fn: Math.cos },
  tan: { arity: 1, fn: Math.tan },
  asin: { arity: 1, fn: Math.asin },
  acos: { arity: 1, fn: Math.acos },
  atan: { arity: 1, fn: Math.atan },
  ln: { arity: 1, fn: Math.log },
  log: { arity: 1, fn: Math.log10 },
  log2: { arity: 1, fn: Math.log2 },
  exp: { arity: 1, fn: Math.exp },
  floor: { arity: 1, fn: Math.floor },
  ceil: { arity: 1, fn: Math.ceil },
  round: { arity: 1, fn: Math.round },
  min: { arity: "variadic", fn: Math.min },
  max: { arity: "variadic", fn: Math.max },
});

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Splits an expression into tokens. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const start = i;
      while (i < source.length && /[0-9]/.test(source[i] as string)) i++;
      if (source[i] === ".") {
        i++;
        while (i < source.length && /[0-9]/.test(source[i] as string)) i++;
      }
      let text = source.slice(start, i);
      if (text === ".") throw new ExpressionError('unexpected "."', start);
      if (source[i] === "e" || source[i] === "E") {
        const exponent = /^[eE][+-]?[0-9]+/.exec(source.slice(i));
        if (!exponent) throw new ExpressionError(`invalid number "${source.slice(start, i + 1)}"`, start);
        i += exponent[0].length;
        text = source.slice(start, i);
      }
      if (source[i] === "." || (source[i] !== undefined && /[0-9]/.test(source[i] as string))) {
        const end = /^[0-9.eE]*/.exec(source.slice(i))?.[0].length ?? 0;
        throw new ExpressionError(`invalid number "${source.slice(start, i + end)}"`, start);
      }
      tokens.push({ type: "number", text, position: start, value: Number(text) });
      continue;
    }
    if (/[a-zA-Z_]/.test(c)) {
      const start = i;
      while (i < source.length && /[a-zA-Z0-9_]/.test(source[i] as string)) i++;
      tokens.push({ type: "identifier", text: source.slice(start, i), position: start });
      continue;
    }
    if (c === "*" && source[i + 1] === "*") {
      tokens.push({ type: "operator", text: "^", position: i });
      i += 2;
      continue;
    }
    if ("+-*/%^".includes(c)) {
      tokens.push({ type: "operator", text: c, position: i++ });
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      tokens.push({ type: c, text: c, position: i++ });
      continue;
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  tokens.push({ type: "end", text: "", position: source.length });
  return tokens;
}

/**
 * Parses an expression into a tree.
 *
 * @throws {@link ExpressionError} for empty, too long or malformed expressions.
 */
export function parse(source: string): Node {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  const tokens = tokenize(source);
  let index = 0;
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;

  const unexpected = (token: Token): ExpressionError =>
    token.type === "end"
      ? new ExpressionError("unexpected end of expression", token.position)
      : new ExpressionError(`unexpected ${describe(token)}`, token.position);

  function expression(): Node {
    let left = term();
    for (let t = peek(); t.type === "operator" && (t.text === "+" || t.text === "-"); t = peek()) {
      next();
      left = { type: "binary", operator: t.text, left, right: term(), position: t.position };
    }
    return left;
  }

  function term(): Node {
    let left = unary();
    for (let t = peek(); t.type === "operator" && (t.text === "*" || t.text === "/" || t.text === "%"); t = peek()) {
      next();
      left = { type: "binary", operator: t.text, left, right: unary(), position: t.position };
    }
    return left;
  }

  function unary(): Node {
    const t = peek();
    if (t.type === "operator" && (t.text === "-" || t.text === "+")) {
      next();
      return { type: "unary", operator: t.text, operand: unary(), position: t.position };
    }
    return power();
  }

  function power(): Node {
    const base = primary();
    const t = peek();
    if (t.type === "operator" && t.text === "^") {
      next();
      return { type: "binary", operator: "^", left: base, right: unary(), position: t.position };
    }
    return base;
  }

  function primary(): Node {
    const t = next();
    if (t.type === "number") return { type: "number", value: t.value as number, position: t.position };
    if (t.type === "(") {
      if (peek().type === ")") throw new ExpressionError('empty parentheses', t.position);
      const inner = expression();
      const close = peek();
      if (close.type !== ")") {
        if (close.type === "end") throw new ExpressionError(`missing ")" for the "(" at ${t.position}`, close.position);
        throw unexpected(close);
      }
      next();
      return inner;
    }
    if (t.type === "identifier") {
      const name = t.text.toLowerCase();
      if (has(FUNCTIONS, name)) {
        if (peek().type !== "(") throw new ExpressionError(`function "${t.text}" needs its arguments in parentheses, like ${name}(2)`, t.position);
        const open = next();
        const args: Node[] = [];
        if (peek().type !== ")") {
          args.push(expression());
          while (peek().type === ",") {
            next();
            args.push(expression());
          }
        }
        const close = peek();
        if (close.type !== ")") {
          if (close.type === "end") throw new ExpressionError(`missing ")" for the "(" at ${open.position}`, close.position);
          throw unexpected(close);
        }
        next();
        const spec = FUNCTIONS[name] as FunctionSpec;
        if (spec.arity === "variadic" && args.length === 0) {
          throw new ExpressionError(`${name} expects at least 1 argument`, t.position);
        }
        if (spec.arity !== "variadic" && args.length !== spec.arity) {
          throw new ExpressionError(`${name} expects ${spec.arity} argument${spec.arity === 1 ? "" : "s"}, got ${args.length}`, t.position);
        }
        return { type: "call", name, args, position: t.position };
      }
      if (has(CONSTANTS, name)) {
        if (peek().type === "(") throw new ExpressionError(`"${t.text}" is a constant, not a function`, t.position);
        return { type: "constant", name, position: t.position };
      }
      throw new ExpressionError(`unknown name "${t.text}"`, t.position);
    }
    throw unexpected(t);
  }

  if (peek().type === "end") throw new ExpressionError("expression is empty", 0);
  const tree = expression();
  const rest = peek();
  if (rest.type !== "end") throw unexpected(rest);
  return tree;
}

function describe(token: Token): string {
  switch (token.type) {
    case "number":
      return `number ${token.text}`;
    case "identifier":
      return `name "${token.text}"`;
    default:
      return JSON.stringify(token.text);
  }
}

/**
 * Evaluates a tree. Every intermediate result must be a finite real number.
 *
 * @throws {@link ExpressionError} on division by zero, domain errors and overflow.
 */
export function evaluate(node: Node): number {
  switch (node.type) {
    case "number":
      if (!Number.isFinite(node.value)) throw new ExpressionError("number is too large", node.position);
      return node.value;
    case "constant":
      return CONSTANTS[node.name] as number;
    case "unary": {
      const v = evaluate(node.operand);
      return node.operator === "-" ? -v : v;
    }
    case "binary": {
      const a = evaluate(node.left);
      const b = evaluate(node.right);
      return finite(binary(node.operator, a, b, node.position), `"${node.operator}"`, node.position);
    }
    case "call": {
      const args = node.args.map(evaluate);
      const value = (FUNCTIONS[node.name] as FunctionSpec).fn(...args);
      if (Number.isNaN(value)) throw new ExpressionError(`${node.name}(${args.map(format).join(", ")}) is not defined`, node.position);
      return finite(value, `${node.name}(${args.map(format).join(", ")})`, node.position);
    }
  }
}

function binary(operator: BinaryOperator, a: number, b: number, position: number): number {
  switch (operator) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      if (b === 0) throw new ExpressionError("division by zero", position);
      return a / b;
    case "%":
      if (b === 0) throw new ExpressionError("modulo by zero", position);
      return a % b;
    case "^": {
      if (a === 0 && b < 0) throw new ExpressionError("division by zero (0 raised to a negative power)", position);
      const value = a ** b;
      if (Number.isNaN(value)) throw new ExpressionError(`${format(a)}^${format(b)} is not a real number`, position);
      return value;
    }
  }
}

function finite(value: number, what: string, position: number): number {
  if (Number.isNaN(value)) throw new ExpressionError(`the result of ${what} is not a number`, position);
  if (!Number.isFinite(value)) throw new ExpressionError(`the result of ${what} is too large`, position);
  return value;
}

function format(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/**
 * Parses and evaluates `expression`.
 *
 * @param expression - The arithmetic expression.
 * @param precision - When given, round the result to this many decimal places (0-15).
 * @throws {@link ExpressionError} with the position of the problem.
 */
export function calculate(expression: string, precision?: number): number {
  let value = evaluate(parse(expression));
  if (precision !== undefined) value = roundTo(value, precision);
  return Object.is(value, -0) ? 0 : value;
}

/** Rounds half away from zero to `digits` decimal places, without binary-float surprises like 1.005 → 1. */
export function roundTo(value: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new RangeError("precision must be an integer from 0 to 15");
  if (Math.abs(value) >= 1e21) return value;
  const [mantissa, exponent = "0"] = value.toExponential().split("e");
  const shifted = Math.round(Math.abs(Number(`${mantissa}e${Number(exponent) + digits}`)));
  const [m2, e2 = "0"] = shifted.toExponential().split("e");
  return Math.sign(value) * Number(`${m2}e${Number(e2) - digits}`);
}
