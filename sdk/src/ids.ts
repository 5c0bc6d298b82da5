/**
 * Identifier rules shared by the manifest and the `define*` helpers.
 *
 * @module
 */

/**
 * The pattern every contribution id (and node handle or subgraph name) must
 * match: lower-case ASCII letters and digits in dash-separated words, e.g.
 * `"web-search"`, `"openai"`, `"if-else"`.
 */
export const CONTRIBUTION_ID_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$";

/** Maximum length of a contribution id. */
export const CONTRIBUTION_ID_MAX_LENGTH = 64;

const ID_RE = new RegExp(CONTRIBUTION_ID_PATTERN);

/**
 * Returns `true` if `id` is a valid contribution id (see {@link CONTRIBUTION_ID_PATTERN}).
 *
 * @param id - Any value.
 */
export function isContributionId(id: unknown): id is string {
  return typeof id === "string" && id.length <= CONTRIBUTION_ID_MAX_LENGTH && ID_RE.test(id);
}
