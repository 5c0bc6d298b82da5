/**
 * Okapi BM25 over the candidate documents of one rerank request.
 *
 * @module
 */

import { tokenize } from "./tokenize.js";

/** Term-frequency saturation. */
export const K1 = 1.2;
/** Length normalisation. */
export const B = 0.75;
/** Tokens of each text that are used (the model's `context_size`). */
export const MAX_TOKENS = 8192;

/**
 * BM25 scores of `documents` for `query`, with document frequencies and the
 * average length computed over `documents` themselves:
 *
 *     score(D) = Σ over distinct query terms t:  idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·|D|/avgdl))
 *     idf(t)   = ln(1 + (N − df + 0.5) / (df + 0.5))
 *
 * (the always-positive idf of Lucene). A query term repeated in the query
 * counts once.
 *
 * @returns One score per document, and the number of tokens read.
 */
export function bm25(query: string, documents: readonly string[], k1 = K1, b = B): { scores: number[]; tokens: number } {
  const terms = [...new Set(tokenize(query, MAX_TOKENS))];
  const docs = documents.map((d) => tokenize(d, MAX_TOKENS));
  let tokens = terms.length;
  const n = docs.length;
  const tfs = docs.map((doc) => {
    tokens += doc.length;
    const tf = new Map<string, number>();
    for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
    return tf;
  });
  const total = docs.reduce((sum, d) => sum + d.length, 0);
  const avgdl = n > 0 && total > 0 ? total / n : 1;
  const idf = new Map<string, number>();
  for (const term of terms) {
    const df = tfs.reduce((count, tf) => count + (tf.has(term) ? 1 : 0), 0);
    idf.set(term, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
  }
  const scores = tfs.map((tf, i) => {
    const norm = k1 * (1 - b + (b * docs[i]!.length) / avgdl);
    let score = 0;
    for (const term of terms) {
      const f = tf.get(term) ?? 0;
      if (f > 0) score += idf.get(term)! * ((f * (k1 + 1)) / (f + norm));
    }
    return score;
  });
  return { scores, tokens };
}

/** One ranked document. */
export interface Ranked {
  readonly index: number;
  readonly relevance_score: number;
}

/**
 * Ranks documents by BM25: sorted by score (ties by position), with
 * `relevance_score = score / best score` (1 for the best match, 0 for a
 * document sharing no term with the query; all 0 when none does). Results
 * below `threshold` are dropped, then the best `topN` kept.
 */
export function rank(query: string, documents: readonly string[], options: { topN?: number; threshold?: number } = {}): { results: Ranked[]; tokens: number } {
  const { scores, tokens } = bm25(query, documents);
  const best = scores.reduce((m, s) => Math.max(m, s), 0);
  let results = scores
    .map((score, index) => ({ index, score, relevance_score: best > 0 ? score / best : 0 }))
    .sort((x, y) => y.score - x.score || x.index - y.index)
    .map(({ index, relevance_score }) => ({ index, relevance_score }));
  if (options.threshold !== undefined) results = results.filter((r) => r.relevance_score >= options.threshold!);
  if (options.topN !== undefined) results = results.slice(0, options.topN);
  return { results, tokens };
}
