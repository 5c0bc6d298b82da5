/**
 * Minimal typings for the part of chai 6 used by these tests. chai 6 ships no
 * type declarations and `@types/chai` is not installed in this workspace, so
 * `tsc -p tsconfig.test.json` would otherwise reject every `import { expect } from "chai"`.
 * Delete this file if `@types/chai` is added.
 */
declare module "chai" {
  interface Assertion {
    // Language chains.
    readonly to: Assertion;
    readonly be: Assertion;
    readonly been: Assertion;
    readonly is: Assertion;
    readonly that: Assertion;
    readonly which: Assertion;
    readonly and: Assertion;
    readonly has: Assertion;
    readonly have: Assertion;
    readonly with: Assertion;
    readonly not: Assertion;
    readonly deep: Assertion;
    // Assertions.
    equal(value: unknown, message?: string): Assertion;
    include(value: unknown, message?: string): Assertion;
    contain(value: unknown, message?: string): Assertion;
    match(re: RegExp, message?: string): Assertion;
    members(set: readonly unknown[], message?: string): Assertion;
    property(name: string, value?: unknown): Assertion;
    length(n: number, message?: string): Assertion;
    instanceOf(ctor: abstract new (...args: never[]) => unknown, message?: string): Assertion;
    lessThan(n: number, message?: string): Assertion;
    greaterThan(n: number, message?: string): Assertion;
    within(start: number, finish: number, message?: string): Assertion;
  }
  interface ExpectStatic {
    (value: unknown, message?: string): Assertion;
    fail(message?: string): never;
  }
  export const expect: ExpectStatic;
}
