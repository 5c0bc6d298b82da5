import { expect } from "chai";
import { compareVersions, isValidRange, parseVersion, satisfies } from "../src/index.js";

describe("semver", () => {
  it("parses MAJOR.MINOR.PATCH and rejects anything else", () => {
    expect(parseVersion("1.2.3")).to.deep.equal({ major: 1, minor: 2, patch: 3 });
    expect(parseVersion("v10.0.1")).to.deep.equal({ major: 10, minor: 0, patch: 1 });
    for (const bad of ["1.2", "1.2.3.4", "01.2.3", "1.2.3-beta.1", "a.b.c", ""]) {
      expect(parseVersion(bad), bad).to.equal(undefined);
    }
  });

  it("orders versions by major, then minor, then patch", () => {
    const v = (s: string) => parseVersion(s)!;
    expect(compareVersions(v("1.0.0"), v("2.0.0"))).to.be.lessThan(0);
    expect(compareVersions(v("1.10.0"), v("1.9.9"))).to.be.greaterThan(0);
    expect(compareVersions(v("1.2.3"), v("1.2.3"))).to.equal(0);
  });

  const table: Array<[range: string, version: string, expected: boolean]> = [
    // exact
    ["1.0.0", "1.0.0", true],
    ["=1.0.0", "1.0.1", false],
    // caret
    ["^1.2.3", "1.2.3", true],
    ["^1.2.3", "1.9.0", true],
    ["^1.2.3", "1.2.2", false],
    ["^1.2.3", "2.0.0", false],
    ["^0.2.3", "0.2.9", true],
    ["^0.2.3", "0.3.0", false],
    ["^0.0.3", "0.0.3", true],
    ["^0.0.3", "0.0.4", false],
    ["^1", "1.9.9", true],
    ["^0.x", "0.9.0", true],
    ["^0.x", "1.0.0", false],
    // tilde
    ["~1.2.3", "1.2.9", true],
    ["~1.2.3", "1.3.0", false],
    ["~1.2", "1.2.0", true],
    ["~1", "1.9.0", true],
    ["~1", "2.0.0", false],
    // comparisons
    [">=1.0.0", "1.0.0", true],
    [">=1.0.0", "0.9.9", false],
    [">1.0.0", "1.0.0", false],
    [">1.0", "1.1.0", true],
    [">1.0", "1.0.9", false],
    ["<2", "1.99.99", true],
    ["<2", "2.0.0", false],
    ["<=1.4", "1.4.7", true],
    ["<=1.4", "1.5.0", false],
    [">= 1.0.0", "1.0.0", true],
    // x-ranges
    ["*", "0.0.1", true],
    ["x", "7.0.0", true],
    ["1.x", "1.4.0", true],
    ["1.x", "2.0.0", false],
    ["1.2.*", "1.2.7", true],
    ["1.2.X", "1.3.0", false],
    ["1", "1.0.5", true],
    // intersections and unions
    [">=1.2.0 <2.0.0", "1.5.0", true],
    [">=1.2.0 <2.0.0", "2.0.0", false],
    ["^2.0.0 || ^1.0.0", "1.3.0", true],
    ["^2.0.0 || ^3.0.0", "1.3.0", false],
  ];
  for (const [range, version, expected] of table) {
    it(`${expected ? "accepts" : "rejects"} ${version} for range "${range}"`, () => {
      expect(satisfies(version, range)).to.equal(expected);
    });
  }

  it("treats invalid ranges as invalid and never satisfied", () => {
    for (const bad of ["", "latest", "^", "1.x.3", "^1.2.3-beta", "1.0.0 - 2.0.0", ">=>1", "~>1.0"]) {
      expect(isValidRange(bad), bad).to.equal(false);
      expect(satisfies("1.0.0", bad), bad).to.equal(false);
    }
  });

  it("never satisfies an invalid version", () => {
    expect(satisfies("1.0", "*")).to.equal(false);
  });
});
