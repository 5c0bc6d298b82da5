import { expect } from "chai";
import { bm25, rank } from "../src/bm25.js";

describe("BM25", () => {
  const docs = ["the cat sat on the mat", "the dog sat", "cats and dogs"];

  it("matches a hand-computed example (k1 = 1.2, b = 0.75)", () => {
    // N = 3, avgdl = (6 + 3 + 3) / 3 = 4
    // idf(cat) = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(8/3)  ≈ 0.980829
    // idf(sat) = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln(1.6)  ≈ 0.470004
    // d0: |D| = 6, tf = 1: 2.2 / (1 + 1.2 · (0.25 + 0.75 · 6/4)) = 2.2 / 2.65   ≈ 0.830189
    // d1: |D| = 3, tf = 1: 2.2 / (1 + 1.2 · (0.25 + 0.75 · 3/4)) = 2.2 / 1.975  ≈ 1.113924
    const idfCat = Math.log(8 / 3);
    const idfSat = Math.log(1.6);
    const d0 = (idfCat + idfSat) * (2.2 / 2.65);
    const d1 = idfSat * (2.2 / 1.975);
    const { scores, tokens } = bm25("cat sat", docs);
    expect(scores[0]).to.be.closeTo(d0, 1e-12);
    expect(scores[1]).to.be.closeTo(d1, 1e-12);
    expect(scores[2]).to.equal(0);
    expect(d0).to.be.closeTo(1.204466, 1e-6);
    expect(d1).to.be.closeTo(0.523549, 1e-6);
    expect(tokens).to.equal(2 + 6 + 3 + 3);
  });

  it("counts a repeated query term once and saturates term frequency", () => {
    expect(bm25("cat cat sat", docs).scores).to.deep.equal(bm25("cat sat", docs).scores);
    const { scores } = bm25("apple", ["apple", "apple apple", "apple apple apple apple apple apple apple apple"]);
    expect(scores[1]! / scores[0]!).to.be.lessThan(2);
  });

  it("ranks by score with relevance_score = score / best, ties by position", () => {
    const { results } = rank("cat sat", docs);
    expect(results.map((r) => r.index)).to.deep.equal([0, 1, 2]);
    expect(results[0]!.relevance_score).to.equal(1);
    expect(results[1]!.relevance_score).to.be.closeTo(0.523549 / 1.204466, 1e-6);
    expect(results[2]!.relevance_score).to.equal(0);
    expect(rank("zebra", ["a", "b"]).results).to.deep.equal([{ index: 0, relevance_score: 0 }, { index: 1, relevance_score: 0 }]);
  });

  it("honours top_n and the score threshold", () => {
    expect(rank("cat sat", docs, { topN: 1 }).results).to.deep.equal([{ index: 0, relevance_score: 1 }]);
    expect(rank("cat sat", docs, { threshold: 0.4 }).results.map((r) => r.index)).to.deep.equal([0, 1]);
    expect(rank("cat sat", docs, { threshold: 0.5, topN: 5 }).results.map((r) => r.index)).to.deep.equal([0]);
  });

  it("prefers documents matching more terms, then shorter documents for equally rare matches", () => {
    const { results } = rank("rust borrow checker", [
      "A long essay about programming languages that mentions rust once, among many many other words and topics of interest",
      "The rust borrow checker explained",
      "borrow a book from the library",
    ]);
    // "rust" and "borrow" both occur in two documents (same idf): the short library sentence beats the long essay.
    expect(results.map((r) => r.index)).to.deep.equal([1, 2, 0]);
  });

  it("handles no documents and empty documents", () => {
    expect(rank("q", []).results).to.deep.equal([]);
    expect(rank("q", ["", ""]).results.map((r) => r.relevance_score)).to.deep.equal([0, 0]);
  });
});
