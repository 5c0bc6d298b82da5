import { permissionTable, type InstallRole, type Role } from '../identity/roles.js';
import { CONSOLE_ROUTE_POLICY, levelOf } from './route-policy.js';

/**
 * The authority tables of docs/operations/security.md, generated from the route
 * table and the role tables so the page cannot drift from what is enforced
 * (kernel/test/http/route-policy-doc.test.ts checks it; UPDATE_DOCS=1 rewrites it).
 */
export function routePolicyMarkdown(): string {
  const { workspace, install } = permissionTable();
  const lines: string[] = [];
  lines.push('### Permissions and who holds them', '');
  lines.push('| level | permission | held by |', '|---|---|---|');
  for (const [permission, roles] of Object.entries(install) as Array<[string, readonly InstallRole[]]>) lines.push(`| install | \`${permission}\` | install ${roles.join(', ')} |`);
  for (const [permission, roles] of Object.entries(workspace) as Array<[string, readonly Role[]]>) lines.push(`| workspace | \`${permission}\` | ${roles.join(', ')} |`);
  lines.push('', '### Every console route', '', 'Paths are under `/console/api`. `public`: no session; `session`: any signed-in account.', '');
  lines.push('| route | needs | level |', '|---|---|---|');
  for (const [route, policy] of Object.entries(CONSOLE_ROUTE_POLICY)) lines.push(`| \`${route}\` | \`${policy}\` | ${levelOf(policy)} |`);
  return lines.join('\n');
}

export const DOC_START = '<!-- route-policy:start (generated from kernel/src/http/route-policy.ts; UPDATE_DOCS=1 npm test regenerates it) -->';
export const DOC_END = '<!-- route-policy:end -->';

/** `text` with the generated block replaced (or `undefined` when the markers are missing). */
export function withRoutePolicy(text: string): string | undefined {
  const start = text.indexOf(DOC_START);
  const end = text.indexOf(DOC_END);
  if (start < 0 || end < start) return undefined;
  return `${text.slice(0, start + DOC_START.length)}\n${routePolicyMarkdown()}\n${text.slice(end)}`;
}
