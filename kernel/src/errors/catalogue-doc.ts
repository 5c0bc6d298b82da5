import { ERROR_SECTIONS, type ErrorSpec } from './catalogue.js';

/**
 * The tables of docs/api/errors.md, generated from the catalogue so the page
 * cannot drift from it (kernel/test/http/error-catalogue.test.ts checks it;
 * UPDATE_DOCS=1 rewrites it). Mirrors http/route-policy-doc.ts.
 */
export function errorCatalogueMarkdown(): string {
  const lines: string[] = [];
  for (const { title, codes } of ERROR_SECTIONS) {
    lines.push(`### ${title}`, '', '| status | code | Dify | meaning |', '|---|---|---|---|');
    for (const [code, spec] of Object.entries(codes) as Array<[string, ErrorSpec]>) {
      const status = [spec.status, ...(spec.otherStatuses ?? [])].join(', ');
      lines.push(`| ${status} | \`${code}\` | ${spec.dify ? 'yes' : ''} | ${spec.description.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

export const DOC_START = '<!-- error-catalogue:start (generated from kernel/src/errors/catalogue.ts; UPDATE_DOCS=1 npm test regenerates it) -->';
export const DOC_END = '<!-- error-catalogue:end -->';

/** `text` with the generated block replaced (or `undefined` when the markers are missing). */
export function withErrorCatalogue(text: string): string | undefined {
  const start = text.indexOf(DOC_START);
  const end = text.indexOf(DOC_END);
  if (start < 0 || end < start) return undefined;
  return `${text.slice(0, start + DOC_START.length)}\n${errorCatalogueMarkdown()}\n${text.slice(end)}`;
}
