import { expect } from "chai";
import { convert, ConversionError, unitSymbols } from "../src/units.js";

describe("unit conversion", () => {
  const cases: [number, string, string, number][] = [
    [1, "km", "m", 1000],
    [1, "mi", "km", 1.609344],
    [12, "in", "ft", 1],
    [1, "nautical mile", "m", 1852],
    [1, "kg", "lb", 2.20462262184878],
    [16, "oz", "lb", 1],
    [1, "st", "lb", 14],
    [0, "C", "F", 32],
    [100, "celsius", "kelvin", 373.15],
    [-40, "F", "C", -40],
    [0, "K", "C", -273.15],
    [90, "min", "h", 1.5],
    [1, "wk", "d", 7],
    [1, "yr", "d", 365.25],
    [1500, "ms", "s", 1.5],
    [0.1 + 0.2, "m", "m", 0.3],
  ];
  for (const [value, from, to, expected] of cases) {
    it(`${value} ${from} = ${expected} ${to}`, () => expect(convert(value, from, to).result).to.equal(expected));
  }

  it("reports canonical symbols and the category", () => {
    expect(convert(1, "Kilometres", "MILES")).to.deep.include({ from: "km", to: "mi", category: "length" });
  });

  it("lists the units by category", () => {
    expect(unitSymbols().temperature).to.deep.equal(["K", "C", "F"]);
  });

  const errors: [number, string, string, RegExp][] = [
    [1, "parsec", "m", /^unknown unit "parsec"; known units are length: m, km/],
    [1, "kg", "m", /^cannot convert mass \(kg\) to length \(m\)$/],
    [-300, "C", "K", /^-300 C is below absolute zero$/],
    [Number.NaN, "m", "km", /^value must be a finite number$/],
  ];
  for (const [value, from, to, message] of errors) {
    it(`rejects ${value} ${from} → ${to}`, () => expect(() => convert(value, from, to)).to.throw(ConversionError, message));
  }
});
