import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { InputError } from '../../errors.js';
import { findJsonProblem, MAX_JSON_DEPTH } from '../../schema-check.js';
import { DslError, DSL_MODES, type DslMode, isObject, str } from './common.js';
import { sanitizeModelConfig } from './model-config.js';
import { type AppConfig, normalizeConfig } from '../config.js';

export { DslError, DSL_MODES, type DslMode } from './common.js';
export { sanitizeModelConfig } from './model-config.js';

/**
 * The app DSL: Dify-compatible YAML export and import of `chat`, `completion`
 * and `agent-chat` apps (`model_config` is the easy-UI form, the same shape as
 * our AppConfig). Pure: no database, no network; the routes (routes.ts, with
 * fetch.ts and pending-imports.ts) fetch, store and create. The YAML values'
 * helpers are in common.ts, `model_config`'s mapping in model-config.ts.
 */

/** What `export` writes and what import compares against (Dify's `CURRENT_APP_DSL_VERSION`). */
export const CURRENT_DSL_VERSION = '0.6.0';
/** A file without `version` is this old (Dify's rule). */
export const DEFAULT_IMPORTED_VERSION = '0.1.0';
/** Largest DSL accepted, in bytes (Dify's `DSL_MAX_SIZE`). */
export const DSL_MAX_BYTES = 10 * 1024 * 1024;

export type ImportStatus = 'completed' | 'completed-with-warnings' | 'pending' | 'failed';

const WORKFLOW_MODES = ['workflow', 'advanced-chat'];

/** Dify's plugin dependency entry (`PluginDependency`). */
export interface DslDependency {
  type: 'marketplace' | 'package';
  value: { marketplace_plugin_unique_identifier: string } | { plugin_unique_identifier: string };
  current_identifier: null;
}

/** The `app` block of a DSL file. */
export interface DslApp {
  name: string;
  mode: DslMode;
  description: string;
  icon: string;
  icon_type: string;
  icon_background: string;
  use_icon_as_answer_icon: boolean;
}

/** A DSL file checked and converted, ready to create an app from. */
export interface ParsedDsl {
  /** The file's version as given (or `0.1.0` when absent). */
  version: string;
  /** What the version alone implies: `completed`, `completed-with-warnings` or `pending`. */
  versionStatus: Exclude<ImportStatus, 'failed'>;
  app: DslApp;
  /** Normalized: what `Apps.create` stores. */
  modelConfig: AppConfig;
  /** What was dropped or changed on the way in, one sentence each. */
  warnings: string[];
  dependencies: unknown[];
}

// ---------------------------------------------------------------------------
// Versions

/** `0.6.0`, `1`, `v1.2`, `0.6.0rc1` → [major, minor, patch]; undefined when not a version. */
export function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.+-]*)?$/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/**
 * Compares an imported DSL version with ours, as Dify does: a newer version,
 * or an older major one → `pending` (the user confirms); an older minor one →
 * `completed-with-warnings`; only the patch differs, or equal → `completed`;
 * not a version → `failed`.
 */
export function checkVersion(imported: string, current: string = CURRENT_DSL_VERSION): ImportStatus {
  const a = parseVersion(imported);
  const b = parseVersion(current);
  if (!a || !b) return 'failed';
  const newer = a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
  if (newer || a[0] < b[0]) return 'pending';
  if (a[1] < b[1]) return 'completed-with-warnings';
  return 'completed';
}

// ---------------------------------------------------------------------------
// Import

/** Parses YAML text into a mapping; DslError for anything else. */
export function parseYamlMapping(content: string): Record<string, unknown> {
  if (Buffer.byteLength(content, 'utf8') > DSL_MAX_BYTES) throw new DslError('File size exceeds the limit of 10MB');
  let data: unknown;
  try {
    // Core schema (JSON-compatible values only); duplicate keys allowed like PyYAML (the last wins); alias expansion capped.
    data = parseYaml(content, { uniqueKeys: false, maxAliasCount: 100, prettyErrors: true });
  } catch (error) {
    throw new DslError(`Invalid YAML format: ${(error as Error).message}`);
  }
  if (!isObject(data)) throw new DslError('Invalid YAML format: content must be a mapping');
  // A YAML escape (`"\\0"`) makes a NUL no JSON check saw, and YAML nests as deep as JSON (issue #14).
  const problem = findJsonProblem(data);
  if (problem?.problem === 'nul') throw new DslError(`Invalid YAML format: ${problem.field || 'a key'} contains a NUL character (\\0).`);
  if (problem) throw new DslError(`Invalid YAML format: nested more than ${MAX_JSON_DEPTH} levels deep (at ${problem.field}).`);
  return data;
}

/** The file's version string (`0.1.0` when absent); DslError when it is no version. */
export function versionOf(data: Record<string, unknown>): string {
  const raw = data.version;
  if (raw === undefined || raw === null || raw === '') return DEFAULT_IMPORTED_VERSION;
  // `version: 0.6` is a YAML number; accept it as "0.6".
  const version = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof version !== 'string' || !parseVersion(version)) throw new DslError(`Invalid DSL version ${JSON.stringify(raw)}: expected a version such as "${CURRENT_DSL_VERSION}".`);
  return version;
}

/**
 * Checks and converts a DSL document (parsed YAML). DslError (→ `failed`)
 * for a wrong kind, a missing or unsupported mode, or a config normalizeConfig
 * rejects. The version check is the caller's to act on (`versionStatus`).
 */
export function convertDsl(data: Record<string, unknown>): ParsedDsl {
  const version = versionOf(data);
  const versionStatus = checkVersion(version);
  if (versionStatus === 'failed') throw new DslError(`Invalid DSL version ${JSON.stringify(version)}.`);
  if (data.kind !== undefined && data.kind !== null && data.kind !== 'app') {
    throw new DslError(`Unsupported DSL kind ${JSON.stringify(data.kind)}: only app DSL files (kind: app) can be imported here.`);
  }
  const app = data.app;
  if (!isObject(app)) throw new DslError('Missing app data in YAML content');
  const mode = app.mode;
  if (typeof mode !== 'string' || mode === '') throw new DslError('Missing app mode in YAML content (app.mode).');
  if (WORKFLOW_MODES.includes(mode)) {
    throw new DslError(`Apps of mode "${mode}" cannot be imported yet: workflow and advanced-chat (chatflow) apps arrive with the workflow engine. This release imports chat, completion and agent-chat apps.`);
  }
  if (!(DSL_MODES as readonly string[]).includes(mode)) throw new DslError(`Unsupported app mode ${JSON.stringify(mode)}: expected one of ${DSL_MODES.join(', ')}.`);
  const dslMode = mode as DslMode;

  const rawConfig = data.model_config;
  if (!isObject(rawConfig)) throw new DslError('Missing model_config for chat/agent-chat/completion app');
  const { config, warnings } = sanitizeModelConfig(dslMode, rawConfig);
  let modelConfig: AppConfig;
  try {
    modelConfig = normalizeConfig(dslMode, config);
  } catch (error) {
    if (error instanceof InputError) throw new DslError(`Invalid model_config${error.params ? ` (${error.params})` : ''}: ${error.message}`);
    throw error;
  }

  const iconType = ['emoji', 'image', 'link'].includes(app.icon_type as string) ? (app.icon_type as string) : 'emoji';
  let name = str(app.name, '').trim();
  if (name === '') {
    name = 'Untitled app';
    warnings.push('The app has no name: it was imported as "Untitled app".');
  }
  if (name.length > 255) {
    name = name.slice(0, 255);
    warnings.push('The app name was cut to 255 characters.');
  }
  let description = str(app.description, '');
  if (description.length > 2000) {
    description = description.slice(0, 2000);
    warnings.push('The app description was cut to 2000 characters.');
  }
  const dependencies = Array.isArray(data.dependencies) ? data.dependencies : [];
  return {
    version,
    versionStatus,
    app: {
      name,
      mode: dslMode,
      description,
      icon: str(app.icon, '') || '🤖',
      icon_type: iconType,
      icon_background: str(app.icon_background, '') || '#FFEAD5',
      use_icon_as_answer_icon: app.use_icon_as_answer_icon === true,
    },
    modelConfig,
    warnings,
    dependencies,
  };
}

/** parseYamlMapping + convertDsl. */
export function parseDsl(content: string): ParsedDsl {
  return convertDsl(parseYamlMapping(content));
}

/** The overall status of an import: the version's verdict, downgraded by warnings. */
export function importStatus(parsed: ParsedDsl): Exclude<ImportStatus, 'failed'> {
  if (parsed.versionStatus === 'completed' && parsed.warnings.length > 0) return 'completed-with-warnings';
  return parsed.versionStatus;
}

/** `https://github.com/o/r/blob/main/app.yml` → `https://raw.githubusercontent.com/o/r/main/app.yml` (others unchanged). */
export function rawGithubUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.protocol === 'https:' && parsed.hostname === 'github.com' && /\.ya?ml$/i.test(parsed.pathname) && parsed.pathname.includes('/blob/')) {
    return `https://raw.githubusercontent.com${parsed.pathname.replace('/blob/', '/')}${parsed.search}`;
  }
  return url;
}

// ---------------------------------------------------------------------------
// Export

/**
 * The plugin a provider id points at, Dify-style: `langgenius/openai/openai`
 * → marketplace `langgenius/openai`; a bare `openai` → `langgenius/openai`
 * (Dify's default organisation); a Tessera `@scope/plugin/provider` or
 * `plugin/provider` → package `@scope/plugin` / `plugin`.
 */
export function dependencyOf(providerId: string): DslDependency | undefined {
  const id = providerId.trim();
  if (id === '') return undefined;
  const parts = id.split('/');
  if (id.startsWith('@')) {
    if (parts.length < 2) return undefined;
    return { type: 'package', value: { plugin_unique_identifier: `${parts[0]}/${parts[1]}` }, current_identifier: null };
  }
  if (parts.length === 3) return { type: 'marketplace', value: { marketplace_plugin_unique_identifier: `${parts[0]}/${parts[1]}` }, current_identifier: null };
  if (parts.length === 2) return { type: 'package', value: { plugin_unique_identifier: parts[0]! }, current_identifier: null };
  if (parts.length === 1) return { type: 'marketplace', value: { marketplace_plugin_unique_identifier: `langgenius/${id}` }, current_identifier: null };
  return undefined;
}

/** Plugin dependencies of a config: its model provider, moderation provider, annotation embedding provider and agent tool providers. */
export function inferDependencies(config: AppConfig): DslDependency[] {
  const providers: string[] = [config.model?.provider ?? ''];
  const moderation = config.sensitive_word_avoidance;
  if (moderation?.enabled && moderation.type === 'moderation' && moderation.configs?.provider) providers.push(moderation.configs.provider);
  if (config.annotation_reply?.enabled && config.annotation_reply.embedding_model?.embedding_provider_name) providers.push(config.annotation_reply.embedding_model.embedding_provider_name);
  for (const tool of config.agent_mode?.tools ?? []) {
    // API, workflow and MCP tools live in the workspace, not in a plugin.
    if (typeof tool?.provider_id === 'string' && ['builtin', 'plugin', undefined, ''].includes(tool.provider_type)) providers.push(tool.provider_id);
  }
  const seen = new Set<string>();
  const out: DslDependency[] = [];
  for (const provider of providers) {
    const dependency = typeof provider === 'string' ? dependencyOf(provider) : undefined;
    if (!dependency) continue;
    const key = JSON.stringify(dependency);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(dependency);
  }
  return out;
}

/** What an export needs of the app row. */
export interface ExportableApp {
  name: string;
  mode: string;
  description: string;
  icon: string;
  icon_type: string;
  icon_background: string;
  use_icon_as_answer_icon?: boolean;
}

/** The model_config as exported: a copy without workspace-local credential ids. */
export function exportableConfig(config: AppConfig): AppConfig {
  const copy = structuredClone(config);
  for (const tool of copy.agent_mode?.tools ?? []) delete (tool as unknown as Record<string, unknown>).credential_id;
  return copy;
}

/**
 * The app as a DSL file (YAML), Dify's layout: keys sorted like PyYAML's dump
 * (`app`, `dependencies`, `kind`, `model_config`, `version`), long strings
 * never folded.
 */
export function exportDsl(app: ExportableApp, config: AppConfig): string {
  if (!(DSL_MODES as readonly string[]).includes(app.mode)) {
    throw new InputError(`Apps of mode "${app.mode}" cannot be exported yet: workflow and advanced-chat apps arrive with the workflow engine.`, undefined, 'app_mode_not_supported');
  }
  const document = {
    app: {
      name: app.name,
      mode: app.mode,
      icon: app.icon,
      icon_type: app.icon_type,
      icon_background: app.icon_background,
      description: app.description,
      use_icon_as_answer_icon: app.use_icon_as_answer_icon ?? false,
    },
    dependencies: inferDependencies(config),
    kind: 'app',
    model_config: exportableConfig(config),
    version: CURRENT_DSL_VERSION,
  };
  return stringifyYaml(document, { sortMapEntries: true, lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
}
