/**
 * Unit conversion for length, mass, temperature and time.
 *
 * @module
 */

/** The supported quantities. */
export type Category = "length" | "mass" | "temperature" | "time";

interface LinearUnit {
  readonly category: Exclude<Category, "temperature">;
  /** The unit's size in the category's base unit (metre, kilogram, second). */
  readonly factor: number;
}

interface TemperatureUnit {
  readonly category: "temperature";
  /** Converts a value in this unit to kelvin. */
  readonly toKelvin: (v: number) => number;
  /** Converts kelvin to this unit. */
  readonly fromKelvin: (k: number) => number;
}

type Unit = (LinearUnit | TemperatureUnit) & { readonly symbol: string };

const UNITS = new Map<string, Unit>();

function add(symbol: string, aliases: readonly string[], unit: LinearUnit | TemperatureUnit): void {
  for (const name of [symbol, ...aliases]) UNITS.set(name.toLowerCase(), { ...unit, symbol });
}

const length = (factor: number): LinearUnit => ({ category: "length", factor });
const mass = (factor: number): LinearUnit => ({ category: "mass", factor });
const time = (factor: number): LinearUnit => ({ category: "time", factor });

add("m", ["meter", "meters", "metre", "metres"], length(1));
add("km", ["kilometer", "kilometers", "kilometre", "kilometres"], length(1000));
add("cm", ["centimeter", "centimeters", "centimetre", "centimetres"], length(0.01));
add("mm", ["millimeter", "millimeters", "millimetre", "millimetres"], length(0.001));
add("um", ["µm", "micrometer", "micrometers", "micrometre", "micrometres", "micron", "microns"], length(1e-6));
add("nm", ["nanometer", "nanometers", "nanometre", "nanometres"], length(1e-9));
add("in", ["inch", "inches"], length(0.0254));
add("ft", ["foot", "feet"], length(0.3048));
add("yd", ["yard", "yards"], length(0.9144));
add("mi", ["mile", "miles"], length(1609.344));
add("nmi", ["nautical mile", "nautical miles"], length(1852));

add("kg", ["kilogram", "kilograms"], mass(1));
add("g", ["gram", "grams"], mass(0.001));
add("mg", ["milligram", "milligrams"], mass(1e-6));
add("ug", ["µg", "microgram", "micrograms"], mass(1e-9));
add("t", ["tonne", "tonnes", "metric ton", "metric tons"], mass(1000));
add("lb", ["lbs", "pound", "pounds"], mass(0.45359237));
add("oz", ["ounce", "ounces"], mass(0.028349523125));
add("st", ["stone", "stones"], mass(6.35029318));

add("s", ["sec", "second", "seconds"], time(1));
add("ms", ["millisecond", "milliseconds"], time(0.001));
add("us", ["µs", "microsecond", "microseconds"], time(1e-6));
add("ns", ["nanosecond", "nanoseconds"], time(1e-9));
add("min", ["minute", "minutes"], time(60));
add("h", ["hr", "hour", "hours"], time(3600));
add("d", ["day", "days"], time(86400));
add("wk", ["week", "weeks"], time(604800));
add("yr", ["year", "years"], time(31557600)); // Julian year: 365.25 days

add("K", ["kelvin"], { category: "temperature", toKelvin: (v) => v, fromKelvin: (k) => k });
add("C", ["°C", "celsius", "degc"], { category: "temperature", toKelvin: (v) => v + 273.15, fromKelvin: (k) => k - 273.15 });
add("F", ["°F", "fahrenheit", "degf"], {
  category: "temperature",
  toKelvin: (v) => ((v - 32) * 5) / 9 + 273.15,
  fromKelvin: (k) => ((k - 273.15) * 9) / 5 + 32,
});

/** The canonical unit symbols, by category. */
export function unitSymbols(): Record<Category, string[]> {
  const result: Record<Category, string[]> = { length: [], mass: [], temperature: [], time: [] };
  for (const unit of new Set(UNITS.values())) {
    const list = result[unit.category];
    if (!list.includes(unit.symbol)) list.push(unit.symbol);
  }
  return result;
}

/** A conversion error (unknown unit, mixed categories, below absolute zero). */
export class ConversionError extends Error {
  override readonly name = "ConversionError";
}

function lookup(name: string): Unit {
  const unit = UNITS.get(name.trim().toLowerCase());
  if (!unit) {
    const known = Object.entries(unitSymbols()).map(([c, s]) => `${c}: ${s.join(", ")}`);
    throw new ConversionError(`unknown unit "${name}"; known units are ${known.join("; ")}`);
  }
  return unit;
}

/** The result of {@link convert}. */
export interface Conversion {
  readonly result: number;
  readonly from: string;
  readonly to: string;
  readonly category: Category;
}

/**
 * Converts `value` from one unit to another of the same category.
 *
 * @throws {@link ConversionError} for unknown units, mixed categories or temperatures below absolute zero.
 */
export function convert(value: number, from: string, to: string): Conversion {
  if (!Number.isFinite(value)) throw new ConversionError("value must be a finite number");
  const a = lookup(from);
  const b = lookup(to);
  if (a.category !== b.category) {
    throw new ConversionError(`cannot convert ${a.category} (${a.symbol}) to ${b.category} (${b.symbol})`);
  }
  let result: number;
  if (a.category === "temperature" && b.category === "temperature") {
    const kelvin = a.toKelvin(value);
    if (kelvin < 0) throw new ConversionError(`${value} ${a.symbol} is below absolute zero`);
    result = b.fromKelvin(kelvin);
  } else {
    result = (value * (a as LinearUnit).factor) / (b as LinearUnit).factor;
  }
  // Drop binary-float noise such as 0.30000000000000004.
  result = Number(result.toPrecision(15));
  return { result: Object.is(result, -0) ? 0 : result, from: a.symbol, to: b.symbol, category: a.category };
}
