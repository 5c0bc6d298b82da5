/**
 * The tokeniser shared by the embedding and BM25 models.
 *
 * @module
 */

/** Scripts written without spaces between words, tokenised one character at a time. */
const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}";
const WORD_CHAR = `(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}])`;
/** A CJK character, or a run of letters, digits and marks with inner apostrophes (don't, l'été). */
const TOKEN = new RegExp(`[${CJK}]|${WORD_CHAR}+(?:['\u2019]${WORD_CHAR}+)*`, "gu");
const CJK_CHAR = new RegExp(`^[${CJK}]$`, "u");
const LATIN_GREEK_MARKS = /([\p{Script=Latin}\p{Script=Greek}])\p{Mn}+/gu;
const APOSTROPHES = /['\u2019]/g;

/**
 * Normalises text for matching: NFKC (full-width and compatibility forms),
 * lower case, and accents removed from Latin and Greek letters (café → cafe).
 * Marks in other scripts are kept: they are part of the letter (が, हिंदी).
 */
export function normalize(text: string): string {
  return text.normalize("NFKC").toLowerCase().normalize("NFD").replace(LATIN_GREEK_MARKS, "$1").normalize("NFC");
}

/**
 * Splits `text` into tokens: after {@link normalize}, each Han, Hiragana or
 * Katakana character is a token, and so is each run of other letters, digits
 * and combining marks (apostrophes inside a word are dropped: don't → dont).
 * Punctuation, symbols and whitespace separate tokens and are discarded.
 *
 * @param text - Any text.
 * @param max - Keep at most this many tokens.
 */
export function tokenize(text: string, max = Infinity): string[] {
  const tokens: string[] = [];
  if (typeof text !== "string" || text === "") return tokens;
  for (const match of normalize(text).matchAll(TOKEN)) {
    if (tokens.length >= max) break;
    const token = match[0];
    tokens.push(token.includes("'") || token.includes("\u2019") ? token.replace(APOSTROPHES, "") : token);
  }
  return tokens;
}

/** Whether `token` is a single CJK character (such tokens get no character n-grams). */
export function isCjkToken(token: string): boolean {
  return CJK_CHAR.test(token);
}
