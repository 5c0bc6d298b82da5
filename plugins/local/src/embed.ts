/**
 * A lexical embedding by feature hashing ("hashing trick").
 *
 * @module
 */

import { murmur3 } from "./hash.js";
import { isCjkToken, tokenize } from "./tokenize.js";

/** Tokens of one input that are used; the rest is ignored (the models' `context_size`). */
export const MAX_TOKENS = 8192;

/** Seed of the hash that picks a feature's bucket. */
export const BUCKET_SEED = 0;
/** Seed of the hash whose lowest bit picks a feature's sign. */
export const SIGN_SEED = 0x9747b28c;

/** Weight of each feature family. */
export const WEIGHTS = Object.freeze({ unigram: 1, bigram: 0.7, trigram: 0.4 });

/**
 * The features of `tokens` with their counts, keyed by a family prefix:
 * `w:<token>` (word unigrams), `b:<token> <token>` (adjacent-token bigrams)
 * and `c:<3 chars>` (character 3-grams of each non-CJK token wrapped in `<`
 * and `>`, so `cat` gives `<ca`, `cat`, `at>`).
 */
export function features(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    add(`w:${token}`);
    if (i + 1 < tokens.length) add(`b:${token} ${tokens[i + 1]!}`);
    if (!isCjkToken(token)) {
      const chars = Array.from(`<${token}>`);
      for (let j = 0; j + 3 <= chars.length; j++) add(`c:${chars[j]}${chars[j + 1]}${chars[j + 2]}`);
    }
  }
  return counts;
}

function familyWeight(feature: string): number {
  const family = feature.charCodeAt(0);
  if (family === 119 /* w */) return WEIGHTS.unigram;
  if (family === 98 /* b */) return WEIGHTS.bigram;
  return WEIGHTS.trigram;
}

/**
 * Embeds `text` into a `dimensions`-long unit vector: every feature of its
 * first {@link MAX_TOKENS} tokens adds `weight × (1 + ln count)` (sublinear
 * tf) to bucket `murmur3(feature, 0) mod dimensions`, negated when
 * `murmur3(feature, 0x9747b28c)` is odd; the sum is L2-normalised. Text
 * without tokens gives the zero vector.
 *
 * @returns The vector and the number of tokens used.
 */
export function embed(text: string, dimensions: number): { vector: number[]; tokens: number } {
  const tokens = tokenize(text, MAX_TOKENS);
  const sums = new Float64Array(dimensions);
  for (const [feature, count] of features(tokens)) {
    const weight = familyWeight(feature) * (1 + Math.log(count));
    const bucket = murmur3(feature, BUCKET_SEED) % dimensions;
    sums[bucket]! += (murmur3(feature, SIGN_SEED) & 1) === 1 ? -weight : weight;
  }
  let norm = 0;
  for (const x of sums) norm += x * x;
  norm = Math.sqrt(norm);
  const vector = Array.from(sums, (x) => (norm > 0 ? x / norm : 0));
  return { vector, tokens: tokens.length };
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0);
    na += a[i]! * a[i]!;
    nb += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
