/**
 * What an admin granted a plugin in one workspace, stored as given (snake_case,
 * the console API's shape). Nothing is granted unless listed here. The kernel
 * enforces it; the console edits it.
 */
export interface Grants {
  /** Hosts `ctx.fetch` may reach: each one declared by the manifest (or covered by a declared pattern). */
  network?: { hosts: string[] };
  /** Loopback or private destinations allowed despite the SSRF guard, e.g. a local model server `127.0.0.1:11434`. */
  allow_private?: string[];
  /** Reverse model invocation through `ctx.models`. */
  models?: boolean;
  /** Bytes of kv storage (default: what the manifest asks for, else 1 MB). */
  storage?: { quota_bytes: number };
  /** Isolate limits for this plugin. */
  limits?: { memory_mb?: number; cpu_ms?: number };
  /** Required to run a plugin whose manifest asks for the `node` runtime (full Node.js in a worker thread). */
  node_runtime?: boolean;
}
