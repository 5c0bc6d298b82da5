import type { DeclaredPermissions, Grants } from '@/api/types';

/** What the review form edits: one switch per declared permission. */
export interface GrantDraft {
  hosts: Record<string, boolean>;
  allowPrivate: string;
  models: boolean;
  nodeRuntime: boolean;
  memoryMb: string;
  cpuMs: string;
}

/** A draft that grants everything the manifest declares (the admin then unticks what they refuse), or what `current` grants. */
export function draftFrom(declared: DeclaredPermissions, current?: Grants | null): GrantDraft {
  const hosts: Record<string, boolean> = {};
  for (const host of declared.network?.hosts ?? []) hosts[host] = current ? (current.network?.hosts ?? []).includes(host) : true;
  return {
    hosts,
    allowPrivate: (current?.allow_private ?? []).join(', '),
    models: current ? !!current.models : !!declared.models,
    nodeRuntime: current ? !!current.node_runtime : false,
    memoryMb: current?.limits?.memory_mb ? String(current.limits.memory_mb) : '',
    cpuMs: current?.limits?.cpu_ms ? String(current.limits.cpu_ms) : '',
  };
}

/** The `granted_permissions` body of enable/install: exactly what was ticked. */
export function grantsFrom(draft: GrantDraft, declared: DeclaredPermissions, runtime: string): Grants {
  const grants: Grants = {};
  const hosts = Object.entries(draft.hosts).filter(([, on]) => on).map(([h]) => h);
  if (hosts.length) grants.network = { hosts };
  const priv = draft.allowPrivate.split(/[\s,]+/).filter(Boolean);
  if (priv.length) grants.allow_private = priv;
  if (declared.models) grants.models = draft.models;
  if (runtime === 'node') grants.node_runtime = draft.nodeRuntime;
  const limits: Grants['limits'] = {};
  if (draft.memoryMb.trim()) limits.memory_mb = Number(draft.memoryMb);
  if (draft.cpuMs.trim()) limits.cpu_ms = Number(draft.cpuMs);
  if (Object.keys(limits).length) grants.limits = limits;
  return grants;
}

/** `1048576` → `1 MB`. */
export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
