/**
 * A tiny, dependency-free subset of semantic versioning, enough to check a
 * manifest's `apiVersion` range against {@link SDK_API_VERSION}.
 *
 * Supported range syntax (as in npm): exact versions (`1.2.3`, `=1.2.3`),
 * caret (`^1.2.3`, `^0.2`), tilde (`~1.2.3`, `~1.2`), comparisons
 * (`>=1.0.0`, `>1`, `<2`, `<=1.4`), X-ranges (`1.x`, `1.2.*`, `1`, `*`),
 * space-separated intersections (`>=1.2.0 <2.0.0`) and `||` unions.
 * Prerelease tags and hyphen ranges (`1.0.0 - 2.0.0`) are not supported.
 *
 * @module
 */

/** A parsed `MAJOR.MINOR.PATCH` version. */
export interface SemVer {
  /** Major version. */
  readonly major: number;
  /** Minor version. */
  readonly minor: number;
  /** Patch version. */
  readonly patch: number;
}

const NUM = "(?:0|[1-9]\\d*)";
const VERSION_RE = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})$`);
const WILD = "(?:[xX*])";
const PART = `(${NUM}|${WILD})`;
const COMPARATOR_RE = new RegExp(`^(\\^|~|>=|<=|>|<|=)?v?(?:${PART}(?:\\.${PART}(?:\\.${PART})?)?)$`);

/**
 * Parses a strict `MAJOR.MINOR.PATCH` version (an optional leading `v` is allowed).
 *
 * @param version - The version string.
 * @returns The parsed version, or `undefined` if `version` is not valid.
 */
export function parseVersion(version: string): SemVer | undefined {
  const m = VERSION_RE.exec(version.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * Compares two versions.
 *
 * @returns A negative number if `a < b`, zero if equal, a positive number if `a > b`.
 */
export function compareVersions(a: SemVer, b: SemVer): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

type Op = ">=" | ">" | "<" | "<=" | "=";
interface Comparator {
  readonly op: Op;
  readonly version: SemVer;
}
/** An intersection of comparators; an empty set matches every version. */
type ComparatorSet = readonly Comparator[];

const v = (major: number, minor: number, patch: number): SemVer => ({ major, minor, patch });
const NOTHING: ComparatorSet = [{ op: "<", version: v(0, 0, 0) }];

function parsePart(part: string | undefined): number | undefined {
  return part === undefined || /^[xX*]$/.test(part) ? undefined : Number(part);
}

/** Expands one comparator token (e.g. `^1.2`) into primitive comparators. */
function expand(token: string): ComparatorSet | undefined {
  const m = COMPARATOR_RE.exec(token);
  if (!m) return undefined;
  const op = m[1] ?? "=";
  const [M, mi, p] = [parsePart(m[2]), parsePart(m[3]), parsePart(m[4])];
  // A wildcard may not be followed by a number ("1.x.3").
  if ((M === undefined && (mi !== undefined || p !== undefined)) || (mi === undefined && p !== undefined)) return undefined;
  const ge = (x: SemVer): Comparator => ({ op: ">=", version: x });
  const lt = (x: SemVer): Comparator => ({ op: "<", version: x });
  if (M === undefined) return op === ">" || op === "<" ? NOTHING : [];
  const lo = v(M, mi ?? 0, p ?? 0);
  switch (op) {
    case "=":
      if (mi === undefined) return [ge(lo), lt(v(M + 1, 0, 0))];
      if (p === undefined) return [ge(lo), lt(v(M, mi + 1, 0))];
      return [{ op: "=", version: lo }];
    case "^":
      if (M > 0 || mi === undefined) return [ge(lo), lt(v(M + 1, 0, 0))];
      if (mi > 0 || p === undefined) return [ge(lo), lt(v(0, mi + 1, 0))];
      return [ge(lo), lt(v(0, 0, p + 1))];
    case "~":
      return mi === undefined ? [ge(lo), lt(v(M + 1, 0, 0))] : [ge(lo), lt(v(M, mi + 1, 0))];
    case ">=":
      return [ge(lo)];
    case "<":
      return [lt(lo)];
    case ">":
      if (mi === undefined) return [ge(v(M + 1, 0, 0))];
      if (p === undefined) return [ge(v(M, mi + 1, 0))];
      return [{ op: ">", version: lo }];
    case "<=":
      if (mi === undefined) return [lt(v(M + 1, 0, 0))];
      if (p === undefined) return [lt(v(M, mi + 1, 0))];
      return [{ op: "<=", version: lo }];
    default:
      return undefined;
  }
}

function parseRange(range: string): ComparatorSet[] | undefined {
  if (typeof range !== "string") return undefined;
  const sets: ComparatorSet[] = [];
  for (const alternative of range.split("||")) {
    // Allow "> = 1.0.0"-style spacing after an operator: ">= 1.0.0".
    const tokens = alternative.trim().replace(/(\^|~|>=|<=|>|<|=)\s+/g, "$1").split(/\s+/).filter(Boolean);
    if (tokens.length === 0) {
      if (range.trim() === "") return undefined;
      sets.push([]);
      continue;
    }
    const set: Comparator[] = [];
    for (const token of tokens) {
      const expanded = expand(token);
      if (!expanded) return undefined;
      set.push(...expanded);
    }
    sets.push(set);
  }
  return sets;
}

function test(version: SemVer, c: Comparator): boolean {
  const d = compareVersions(version, c.version);
  switch (c.op) {
    case "=":
      return d === 0;
    case ">=":
      return d >= 0;
    case ">":
      return d > 0;
    case "<":
      return d < 0;
    case "<=":
      return d <= 0;
  }
}

/**
 * Returns `true` if `range` is a version range this module understands.
 *
 * @param range - A range such as `"^1.0.0"`.
 */
export function isValidRange(range: string): boolean {
  return parseRange(range) !== undefined;
}

/**
 * Returns `true` if `version` satisfies `range`. Invalid versions or ranges
 * never satisfy anything.
 *
 * @example
 * ```ts
 * satisfies("1.4.0", "^1.2.0");          // true
 * satisfies("2.0.0", "^1.2.0");          // false
 * satisfies("0.3.1", "^0.2.0");          // false — caret on 0.x pins the minor
 * satisfies("1.0.0", ">=0.9.0 <2 || 3.x"); // true
 * ```
 * @param version - A `MAJOR.MINOR.PATCH` version.
 * @param range - A range.
 */
export function satisfies(version: string, range: string): boolean {
  const parsed = parseVersion(version);
  const sets = parseRange(range);
  if (!parsed || !sets) return false;
  return sets.some((set) => set.every((c) => test(parsed, c)));
}
