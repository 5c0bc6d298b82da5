import { expect } from "chai";
import { cosine, embed, features, MAX_TOKENS } from "../src/embed.js";

const vec = (text: string, d = 384) => embed(text, d).vector;
const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("hashed n-gram embedding", () => {
  it("extracts word unigrams, bigrams and boundary-marked character 3-grams", () => {
    expect([...features(["the", "cat"]).entries()]).to.deep.equal([
      ["w:the", 1], ["b:the cat", 1], ["c:<th", 1], ["c:the", 1], ["c:he>", 1],
      ["w:cat", 1], ["c:<ca", 1], ["c:cat", 1], ["c:at>", 1],
    ]);
    // CJK characters get no character n-grams; repeated features are counted
    expect([...features(["東", "京", "東"]).entries()]).to.deep.equal([["w:東", 2], ["b:東 京", 1], ["w:京", 1], ["b:京 東", 1]]);
  });

  it("is deterministic", () => {
    expect(vec("The same text, twice.")).to.deep.equal(vec("The same text, twice."));
    expect(vec("HELLO, world!")).to.deep.equal(vec("hello world"));
  });

  it("is pinned: stored vectors stay valid (a change here needs a new model id)", () => {
    // "hello world": 2 unigrams (weight 1), 1 bigram (0.7), 10 character 3-grams (0.4), no bucket collisions.
    const sparse = vec("hello world").map((x, i) => [i, Math.round(x * 1e6) / 1e6] as const).filter(([, x]) => x !== 0);
    expect(sparse).to.deep.equal([
      [58, 0.197787], [97, -0.197787], [129, 0.197787], [202, -0.197787], [210, 0.197787], [233, -0.197787], [289, 0.197787],
      [306, 0.494468], [319, 0.346128], [325, 0.197787], [358, 0.197787], [373, 0.494468], [376, -0.197787],
    ]);
  });

  it("returns unit vectors of the model's dimension, and the zero vector for text without tokens", () => {
    for (const d of [384, 768]) {
      const v = vec("Feature hashing maps features to buckets.", d);
      expect(v).to.have.length(d);
      expect(norm(v)).to.be.closeTo(1, 1e-12);
    }
    expect(vec("  ...  ").every((x) => x === 0)).to.equal(true);
    expect(vec("")).to.have.length(384);
  });

  it("gives similar wording a higher cosine than unrelated text", () => {
    const query = vec("How do I reset my password?");
    const close = vec("Steps to reset your password");
    const inflected = vec("password resetting instructions");
    const unrelated = vec("The recipe needs two cups of flour and an egg");
    expect(cosine(query, close)).to.be.greaterThan(cosine(query, unrelated) + 0.2);
    expect(cosine(query, inflected)).to.be.greaterThan(cosine(query, unrelated));
    // character n-grams tolerate typos and inflections
    expect(cosine(vec("embedding"), vec("embeddings"))).to.be.greaterThan(0.5);
    expect(cosine(vec("embedding"), vec("banana"))).to.be.lessThan(0.2);
  });

  it("is lexical, not semantic: synonyms do not match", () => {
    expect(cosine(vec("car"), vec("automobile"))).to.be.lessThan(0.2);
  });

  it("works for CJK text", () => {
    const a = vec("東京の天気はどうですか");
    expect(cosine(a, vec("東京の天気予報"))).to.be.greaterThan(cosine(a, vec("大阪でラーメンを食べた")));
  });

  it("uses only the first MAX_TOKENS tokens", () => {
    const long = "alpha ".repeat(MAX_TOKENS) + "omega";
    expect(embed(long, 384).tokens).to.equal(MAX_TOKENS);
    expect(vec(long)).to.deep.equal(vec("alpha ".repeat(MAX_TOKENS)));
  });

  it("damps repetition sublinearly", () => {
    const once = vec("apple banana");
    const many = vec("apple apple apple apple apple apple apple apple banana");
    // "banana" keeps a substantial share despite eight apples
    expect(cosine(many, vec("banana"))).to.be.greaterThan(0.2);
    expect(cosine(once, many)).to.be.greaterThan(0.7);
  });
});
