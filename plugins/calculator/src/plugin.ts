import { Type } from "@sinclair/typebox";
import { definePlugin, defineTool, PluginError } from "@tessera/sdk";
import { calculate as evaluateExpression, ExpressionError, MAX_EXPRESSION_LENGTH } from "./parser.js";
import { convert, ConversionError } from "./units.js";

/** The `calculate` tool: evaluates an arithmetic expression safely. */
export const calculate = defineTool({
  label: "Calculator",
  description:
    "Evaluates an arithmetic expression: numbers (1e3, .5), + - * / % ^ (power), parentheses, pi, e, " +
    "sqrt, abs, sin, cos, tan, asin, acos, atan (radians), ln, log (base 10), log2, exp, floor, ceil, round, min, max.",
  parameters: Type.Object({
    expression: Type.String({
      minLength: 1,
      maxLength: MAX_EXPRESSION_LENGTH,
      description: "The expression, e.g. \"2 * (3 + 4) ^ 2 / sqrt(16)\"",
    }),
    precision: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 15, description: "Round the result to this many decimal places" }),
    ),
  }),
  resultSchema: Type.Object({ result: Type.Number(), expression: Type.String() }),
  invoke({ expression, precision }) {
    try {
      return { result: evaluateExpression(expression, precision), expression };
    } catch (error) {
      if (error instanceof ExpressionError || error instanceof RangeError) {
        throw new PluginError("plugin_invalid_arguments", error.message);
      }
      throw error;
    }
  },
});

/** The `convert-units` tool: converts length, mass, temperature and time values. */
export const convertUnits = defineTool({
  label: "Unit converter",
  description:
    "Converts a value between units of length (m, km, cm, mm, um, nm, in, ft, yd, mi, nmi), mass (kg, g, mg, ug, t, lb, oz, st), " +
    "temperature (C, F, K) or time (s, ms, us, ns, min, h, d, wk, yr).",
  parameters: Type.Object({
    value: Type.Number({ description: "The value to convert" }),
    from: Type.String({ minLength: 1, maxLength: 32, description: "The unit of value, e.g. \"km\" or \"fahrenheit\"" }),
    to: Type.String({ minLength: 1, maxLength: 32, description: "The unit to convert to, e.g. \"mi\" or \"celsius\"" }),
  }),
  resultSchema: Type.Object({
    result: Type.Number(),
    value: Type.Number(),
    from: Type.String(),
    to: Type.String(),
    category: Type.Union([Type.Literal("length"), Type.Literal("mass"), Type.Literal("temperature"), Type.Literal("time")]),
  }),
  invoke({ value, from, to }) {
    try {
      const conversion = convert(value, from, to);
      return { ...conversion, value };
    } catch (error) {
      if (error instanceof ConversionError) throw new PluginError("plugin_invalid_arguments", error.message);
      throw error;
    }
  },
});

export default definePlugin({
  tools: { calculate, "convert-units": convertUnits },
});
