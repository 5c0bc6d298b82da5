import { type Grants, isPatternCovered, parseHostPattern, type ResolvedManifest } from '@tessera/sdk';
import { parseAllowPrivate } from '@tessera/sdk/runtime';
import { ForbiddenError, InputError } from '../errors.js';

export type { Grants };

export const DEFAULT_KV_QUOTA_BYTES = 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const KNOWN = new Set(['network', 'allow_private', 'models', 'storage', 'limits', 'node_runtime']);

/**
 * Checks `raw` (the request's `granted_permissions`) against what the manifest
 * declared: a grant can only narrow a declaration, never widen it. Returns the
 * normalised grants or throws a 400 naming the offending field.
 */
export function validateGrants(raw: unknown, manifest: ResolvedManifest): Grants {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new InputError('granted_permissions must be an object.', 'granted_permissions');
  for (const key of Object.keys(raw)) if (!KNOWN.has(key)) throw new InputError(`granted_permissions.${key} is not a known permission.`, `granted_permissions.${key}`);
  const grants: Grants = {};
  const declared = manifest.permissions?.network?.hosts ?? [];

  if (raw.network !== undefined) {
    if (!isRecord(raw.network) || !Array.isArray(raw.network.hosts) || !raw.network.hosts.every((h) => typeof h === 'string')) {
      throw new InputError('granted_permissions.network must be {"hosts": [host patterns]}.', 'granted_permissions.network.hosts');
    }
    for (const host of raw.network.hosts as string[]) {
      const parsed = parseHostPattern(host);
      if (!parsed.ok) throw new InputError(`granted_permissions.network.hosts: "${host}" ${parsed.reason}`, 'granted_permissions.network.hosts');
      if (!isPatternCovered(host, declared)) {
        throw new ForbiddenError(`The plugin does not declare network access to "${host}"; only declared hosts can be granted (${declared.join(', ') || 'none declared'}).`, 'permission_not_declared');
      }
    }
    grants.network = { hosts: [...(raw.network.hosts as string[])] };
  }
  if (raw.allow_private !== undefined) {
    if (!Array.isArray(raw.allow_private) || !raw.allow_private.every((t) => typeof t === 'string')) {
      throw new InputError('granted_permissions.allow_private must list "host:port", "ip:port" or CIDR strings.', 'granted_permissions.allow_private');
    }
    try {
      // The fetch guard's own parser: what it would refuse at call time is refused here.
      parseAllowPrivate(raw.allow_private as string[]);
    } catch (error) {
      throw new InputError(`granted_permissions.allow_private: ${(error as Error).message}`, 'granted_permissions.allow_private');
    }
    grants.allow_private = [...(raw.allow_private as string[])];
  }
  if (raw.models !== undefined) {
    if (typeof raw.models !== 'boolean') throw new InputError('granted_permissions.models must be true or false.', 'granted_permissions.models');
    if (raw.models && !manifest.permissions?.models) throw new ForbiddenError('The plugin does not declare model invocation, so it cannot be granted.', 'permission_not_declared');
    grants.models = raw.models;
  }
  if (raw.storage !== undefined) {
    const quota = isRecord(raw.storage) ? raw.storage.quota_bytes : undefined;
    if (typeof quota !== 'number' || !Number.isInteger(quota) || quota < 0 || quota > 1024 * 1024 * 1024) {
      throw new InputError('granted_permissions.storage.quota_bytes must be a whole number of bytes up to 1 GiB.', 'granted_permissions.storage.quota_bytes');
    }
    grants.storage = { quota_bytes: quota };
  }
  if (raw.limits !== undefined) {
    if (!isRecord(raw.limits)) throw new InputError('granted_permissions.limits must be an object.', 'granted_permissions.limits');
    const { memory_mb, cpu_ms } = raw.limits;
    if (memory_mb !== undefined && (typeof memory_mb !== 'number' || !Number.isInteger(memory_mb) || memory_mb < 8 || memory_mb > 4096)) {
      throw new InputError('granted_permissions.limits.memory_mb must be a whole number between 8 and 4096.', 'granted_permissions.limits.memory_mb');
    }
    if (cpu_ms !== undefined && (typeof cpu_ms !== 'number' || !Number.isInteger(cpu_ms) || cpu_ms < 10 || cpu_ms > 600_000)) {
      throw new InputError('granted_permissions.limits.cpu_ms must be a whole number between 10 and 600000.', 'granted_permissions.limits.cpu_ms');
    }
    grants.limits = { ...(memory_mb !== undefined ? { memory_mb } : {}), ...(cpu_ms !== undefined ? { cpu_ms } : {}) };
  }
  if (raw.node_runtime !== undefined) {
    if (typeof raw.node_runtime !== 'boolean') throw new InputError('granted_permissions.node_runtime must be true or false.', 'granted_permissions.node_runtime');
    grants.node_runtime = raw.node_runtime;
  }
  return grants;
}

/** Keeps only the grants a new version still declares (an upgrade never widens access silently). */
export function narrowGrants(grants: Grants, manifest: ResolvedManifest): Grants {
  const declared = manifest.permissions?.network?.hosts ?? [];
  const narrowed: Grants = { ...grants };
  if (grants.network) narrowed.network = { hosts: grants.network.hosts.filter((h) => isPatternCovered(h, declared)) };
  if (grants.models && !manifest.permissions?.models) narrowed.models = false;
  return narrowed;
}

export function kvQuota(grants: Grants, manifest: ResolvedManifest): number {
  return grants.storage?.quota_bytes ?? manifest.permissions?.storage?.quotaBytes ?? DEFAULT_KV_QUOTA_BYTES;
}
