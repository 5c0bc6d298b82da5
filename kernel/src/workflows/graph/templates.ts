/**
 * Dify's `{{#node_id.var.path#}}` references in text, read without running
 * anything (the editor, the selector checks, single-node inputs). PURE.
 *
 * The pattern is Dify's VariableTemplateParser REGEX
 * (api/core/workflow/utils/variable_template_parser.py): a node id (or `sys`,
 * `env`, `conversation`) of 1-50 word characters, then 1-10 `.name` parts, each a
 * letter or underscore and up to 29 more word characters. Anything else — spaces,
 * `{{ var }}` Jinja, an 11th part — is literal text, as in Dify.
 */
import type { Selector } from './types.js';

const REFERENCE = /\{\{#([a-zA-Z0-9_]{1,50}(?:\.[a-zA-Z_][a-zA-Z0-9_]{0,29}){1,10})#\}\}/g;

/** A piece of a template: literal text, or a reference (`raw` is the `{{#…#}}` text as written). */
export type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'reference'; readonly selector: Selector; readonly raw: string };

export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    if (match.index > last) parts.push({ kind: 'text', text: text.slice(last, match.index) });
    parts.push({ kind: 'reference', selector: match[1]!.split('.'), raw: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** The selectors a text references, in order, repeats included. */
export function templateReferences(text: string): Selector[] {
  return [...text.matchAll(REFERENCE)].map((match) => match[1]!.split('.'));
}
