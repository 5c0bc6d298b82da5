import { MANIFEST_LIST_KINDS, type ContributionKind } from '@tessera/sdk/kinds';
import type { Contributions } from '@/api/types';

/** The kinds of what a manifest contributes (`tools` → `tool`, …), from the SDK's table. */
export function kindsOf(contributes: Contributions): ContributionKind[] {
  return Object.entries(MANIFEST_LIST_KINDS)
    .filter(([list]) => Array.isArray(contributes[list]) && (contributes[list] as unknown[]).length > 0)
    .map(([, kind]) => kind);
}
