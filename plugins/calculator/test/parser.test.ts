import { expect } from "chai";
import { calculate, ExpressionError, MAX_EXPRESSION_LENGTH, parse, roundTo } from "../src/parser.js";

function fails(expression: string): string {
  try {
    calculate(expression);
  } catch (error) {
    expect(error).to.be.instanceOf(ExpressionError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to fail`);
}

describe("parser", () => {
  describe("numbers", () => {
    const cases: [string, number][] = [
      ["42", 42],
      ["3.25", 3.25],
      [".5", 0.5],
      ["5.", 5],
      ["1e3", 1000],
      ["2.5E-3", 0.0025],
      ["1e+2", 100],
      ["  7  ", 7],
    ];
    for (const [input, expected] of cases) it(`reads ${JSON.stringify(input)}`, () => expect(calculate(input)).to.equal(expected));
  });

  describe("precedence and associativity", () => {
    const cases: [string, number][] = [
      ["1 + 2 * 3", 7],
      ["(1 + 2) * 3", 9],
      ["10 - 4 - 3", 3],
      ["100 / 10 / 5", 2],
      ["2 * 3 % 4", 2],
      ["7 % 4 * 2", 6],
      ["2 ^ 3 ^ 2", 512],
      ["2 ** 3 ** 2", 512],
      ["(2 ^ 3) ^ 2", 64],
      ["-2 ^ 2", -4],
      ["(-2) ^ 2", 4],
      ["2 ^ -1", 0.5],
      ["-3 - -3", 0],
      ["--3", 3],
      ["+3", 3],
      ["2 * -3", -6],
      ["1 + 2 ^ 2 * 3", 13],
      ["-5 % 3", -2],
      ["((((1))))", 1],
      ["2 ^ 0.5 ^ 2", 2 ** 0.25],
    ];
    for (const [input, expected] of cases) it(`${input} = ${expected}`, () => expect(calculate(input)).to.equal(expected));
  });

  describe("constants and functions", () => {
    const cases: [string, number][] = [
      ["pi", Math.PI],
      ["e", Math.E],
      ["PI * 2", Math.PI * 2],
      ["sqrt(16)", 4],
      ["abs(-3.5)", 3.5],
      ["sin(pi / 2)", 1],
      ["cos(0)", 1],
      ["tan(0)", 0],
      ["asin(1)", Math.PI / 2],
      ["acos(1)", 0],
      ["atan(1)", Math.PI / 4],
      ["ln(e ^ 2)", 2],
      ["log(1000)", 3],
      ["log2(8)", 3],
      ["exp(0)", 1],
      ["floor(-2.5)", -3],
      ["ceil(2.1)", 3],
      ["round(2.5)", 3],
      ["min(3, 1, 2)", 1],
      ["max(3, 1, 2, 10 - 1)", 9],
      ["max(4)", 4],
      ["Sqrt(9) + MAX(1, 2)", 5],
      ["sqrt(sqrt(16)) ^ 2", 4],
      ["2 * (3 + 4) ^ 2 / sqrt(16)", 24.5],
    ];
    for (const [input, expected] of cases) it(`${input} = ${expected}`, () => expect(calculate(input)).to.be.closeTo(expected, 1e-12));
  });

  it("rounds to a precision", () => {
    expect(calculate("1 / 3", 4)).to.equal(0.3333);
    expect(calculate("2 / 3", 0)).to.equal(1);
    expect(calculate("1.005", 2)).to.equal(1.01);
    expect(calculate("-1.005", 2)).to.equal(-1.01);
    expect(calculate("-0.0001", 2)).to.equal(0);
    expect(Object.is(calculate("-0.0001", 2), -0)).to.equal(false);
    expect(calculate("0.1 + 0.2", 10)).to.equal(0.3);
    expect(roundTo(123456.789, 1)).to.equal(123456.8);
    expect(() => roundTo(1, 16)).to.throw(RangeError);
  });

  it("builds a tree that records positions", () => {
    expect(parse("1 + 2 * 3")).to.deep.include({ type: "binary", operator: "+", position: 2 });
  });

  describe("errors name the problem and its 0-based position", () => {
    const cases: [string, string][] = [
      ["", "expression is empty at 0"],
      ["   ", "expression is empty at 0"],
      ["(1 + 2))", 'unexpected ")" at 7'],
      ["1 +", "unexpected end of expression at 3"],
      ["(1 + 2", 'missing ")" for the "(" at 0 at 6'],
      ["max(1, 2", 'missing ")" for the "(" at 3 at 8'],
      ["max(1 2)", "unexpected number 2 at 6"],
      ["1 $ 2", 'unexpected character "$" at 2'],
      ["2 pi", 'unexpected name "pi" at 2'],
      ["3 (4)", 'unexpected "(" at 2'],
      ["1 / 0", "division by zero at 2"],
      ["5 % (2 - 2)", "modulo by zero at 2"],
      ["0 ^ -1", "division by zero (0 raised to a negative power) at 2"],
      ["1..2", 'invalid number "1..2" at 0'],
      ["1.2.3", 'invalid number "1.2.3" at 0'],
      ["1e", 'invalid number "1e" at 0'],
      ["2e+", 'invalid number "2e" at 0'],
      [".", 'unexpected "." at 0'],
      ["foo(1)", 'unknown name "foo" at 0'],
      ["x + 1", 'unknown name "x" at 0'],
      ["pi(2)", '"pi" is a constant, not a function at 0'],
      ["sqrt 4", 'function "sqrt" needs its arguments in parentheses, like sqrt(2) at 0'],
      ["1 + sqrt(1, 2)", "sqrt expects 1 argument, got 2 at 4"],
      ["sin()", "sin expects 1 argument, got 0 at 0"],
      ["min()", "min expects at least 1 argument at 0"],
      ["()", "empty parentheses at 0"],
      ["1, 2", 'unexpected "," at 1'],
      ["*2", 'unexpected "*" at 0'],
      ["2 ^", "unexpected end of expression at 3"],
      ["sqrt(-1)", "sqrt(-1) is not defined at 0"],
      ["ln(0)", "the result of ln(0) is too large at 0"],
      ["asin(2)", "asin(2) is not defined at 0"],
      ["(-8) ^ (1/3)", "-8^0.333333333333 is not a real number at 5"],
      ["10 ^ 400", 'the result of "^" is too large at 3'],
      ["1e308 * 10", 'the result of "*" is too large at 6'],
      ["1e999", "number is too large at 0"],
      ["exp(1000)", "the result of exp(1000) is too large at 0"],
    ];
    for (const [input, message] of cases) it(`${JSON.stringify(input)} → ${message}`, () => expect(fails(input)).to.equal(message));

    it(`rejects expressions longer than ${MAX_EXPRESSION_LENGTH} characters`, () => {
      expect(fails("1+".repeat(500) + "1")).to.equal("expression is longer than 1000 characters at 1000");
      expect(calculate("1+".repeat(499) + "1")).to.equal(500);
    });

    it("handles deep nesting within the length limit", () => {
      expect(calculate("(".repeat(400) + "1" + ")".repeat(400))).to.equal(1);
      expect(calculate("-".repeat(999) + "1")).to.equal(-1);
    });
  });
});
