import { expect } from "chai";
import { murmur3 } from "../src/hash.js";
import { isCjkToken, normalize, tokenize } from "../src/tokenize.js";

describe("tokenizer", () => {
  it("lower-cases English and splits on punctuation and whitespace", () => {
    expect(tokenize("Hello, World! The quick-brown fox (3.14) jumped... over_the   lazy\tdog.")).to.deep.equal([
      "hello", "world", "the", "quick", "brown", "fox", "3", "14", "jumped", "over", "the", "lazy", "dog",
    ]);
  });

  it("drops apostrophes inside words (straight and curly)", () => {
    expect(tokenize("Don't stop — it’s l'été")).to.deep.equal(["dont", "stop", "its", "lete"]);
  });

  it("removes accents from Latin and Greek letters only", () => {
    expect(tokenize("Café NAÏVE Ångström Ελληνικά")).to.deep.equal(["cafe", "naive", "angstrom", "ελληνικα"]);
    expect(tokenize("がぎぐ")).to.deep.equal(["が", "ぎ", "ぐ"]);
    expect(tokenize("हिंदी भाषा")).to.deep.equal(["हिंदी", "भाषा"]);
  });

  it("makes each Han, Hiragana and Katakana character a token, keeps Hangul words", () => {
    expect(tokenize("我爱北京。東京タワーに行った")).to.deep.equal(["我", "爱", "北", "京", "東", "京", "タ", "ワ", "ー", "に", "行", "っ", "た"]);
    expect(tokenize("한국어 텍스트입니다")).to.deep.equal(["한국어", "텍스트입니다"]);
    expect(tokenize("GPT-4は強い")).to.deep.equal(["gpt", "4", "は", "強", "い"]);
    expect(isCjkToken("東")).to.equal(true);
    expect(isCjkToken("cat")).to.equal(false);
  });

  it("folds full-width and compatibility forms (NFKC)", () => {
    expect(normalize("ＡＢＣ １２３ ﬁne")).to.equal("abc 123 fine");
    expect(tokenize("ＡＢＣ１２３")).to.deep.equal(["abc123"]);
  });

  it("ignores emoji and symbols, returns nothing for empty text, and honours max", () => {
    expect(tokenize("🙂 + = € 🙂")).to.deep.equal([]);
    expect(tokenize("")).to.deep.equal([]);
    expect(tokenize("a b c d", 2)).to.deep.equal(["a", "b"]);
  });
});

describe("MurmurHash3 x86 32-bit", () => {
  it("matches the reference test vectors", () => {
    expect(murmur3("", 0)).to.equal(0);
    expect(murmur3("", 1)).to.equal(0x514e28b7);
    expect(murmur3("hello", 0)).to.equal(0x248bfa47);
    expect(murmur3("abc", 0)).to.equal(0xb3dd93fa);
    expect(murmur3("aaaa", 0x9747b28c)).to.equal(0x5a97808a);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0x9747b28c)).to.equal(0x2fa826cd);
  });

  it("hashes the UTF-8 bytes (ü is c3 bc)", () => {
    expect(murmur3("ü", 0)).to.equal(murmur3("\u00fc", 0));
    expect(murmur3("ü", 0)).not.to.equal(murmur3("u", 0));
    expect(murmur3("🙂", 0)).to.equal(murmur3("\ud83d\ude42", 0));
  });
});
