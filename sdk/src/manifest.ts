/**
 * The plugin manifest: the `tessera` field of a plugin's `package.json`.
 *
 * The manifest lets the kernel and the marketplace know what a plugin
 * contributes and which permissions it needs *without running its code*.
 * Validate one with {@link parseManifest}.
 *
 * @example
 * ```json
 * {
 *   "name": "@acme/tessera-plugin-search",
 *   "version": "1.2.0",
 *   "tessera": {
 *     "apiVersion": "^1.0.0",
 *     "contributes": {
 *       "tools": [{ "id": "web-search", "name": "Web search", "description": "Searches the web",
 *                   "parameters": { "type": "object", "properties": { "query": { "type": "string" } } } }]
 *     },
 *     "permissions": { "network": { "hosts": ["api.search.example"] }, "storage": { "quotaBytes": 1048576 } }
 *   }
 * }
 * ```
 *
 * @module
 */

import { MANIFEST_CONTRIBUTION_GROUPS as GROUP_LISTS } from "./kinds.js";
import { Type, type Static } from "@sinclair/typebox";
import { CONTRIBUTION_ID_MAX_LENGTH, CONTRIBUTION_ID_PATTERN } from "./ids.js";

/** The bundle path used when the manifest has no `main`. */
export const DEFAULT_PLUGIN_MAIN = "dist/plugin.js";

/** The runtime used when the manifest has no `runtime`. */
export const DEFAULT_PLUGIN_RUNTIME = "isolate";

const ID_MESSAGE = `must be a lower-case kebab-case id such as "web-search" (a-z, 0-9 and single dashes, at most ${CONTRIBUTION_ID_MAX_LENGTH} characters)`;

const Id = Type.String({ pattern: CONTRIBUTION_ID_PATTERN, maxLength: CONTRIBUTION_ID_MAX_LENGTH, errorMessage: ID_MESSAGE });

/** Schema of an embedded JSON Schema value (any JSON object). */
const JsonSchemaValue = Type.Record(Type.String(), Type.Unknown(), { errorMessage: "must be a JSON Schema object" });

const strict = { additionalProperties: false } as const;

/** Schema of a model type name. */
export const ModelTypeSchema = Type.Union([Type.Literal("llm"), Type.Literal("text-embedding"), Type.Literal("rerank"), Type.Literal("moderation")], {
  errorMessage: 'must be one of "llm", "text-embedding", "rerank", "moderation"',
});

/** Schema of the runtime a plugin runs in. */
export const PluginRuntimeSchema = Type.Union([Type.Literal("isolate"), Type.Literal("node")], {
  errorMessage: 'must be "isolate" or "node"',
});

/**
 * Where plugin code runs: `isolate` (the default) is a V8 isolate with no
 * Node APIs; `node` is a worker thread with full Node.js, for trusted plugins that
 * need native modules.
 */
export type PluginRuntime = Static<typeof PluginRuntimeSchema>;

const common = {
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 100, errorMessage: "must be a non-empty display name (at most 100 characters)" }),
  description: Type.String({ maxLength: 2000, errorMessage: "must be a string (at most 2000 characters)" }),
  icon: Type.Optional(Type.String({ minLength: 1, errorMessage: "must be a path inside the package or an https: URL" })),
};

/** Schema of a `contributes.tools[]` entry. */
export const ToolManifestEntrySchema = Type.Object(
  { ...common, parameters: JsonSchemaValue, resultSchema: Type.Optional(JsonSchemaValue) },
  strict,
);

/** Schema of a `contributes.modelProviders[]` entry. */
export const ModelProviderManifestEntrySchema = Type.Object(
  {
    ...common,
    /**
     * Other ids this provider answers to, such as the ids Dify apps name
     * (`openai_api_compatible`, `ollama`): an app that names one runs on this
     * provider. A real id of another installed provider wins over an alias.
     */
    aliases: Type.Optional(
      Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,63}$", errorMessage: "must be a provider id: lower-case letters, digits, \"_\", \".\", \"-\" (at most 64)" }), {
        maxItems: 32,
        uniqueItems: true,
        errorMessage: 'must be a list of at most 32 distinct provider ids such as ["openai_api_compatible"] (lower-case letters, digits, "_", ".", "-")',
      }),
    ),
    credentialsSchema: JsonSchemaValue,
    modelTypes: Type.Array(ModelTypeSchema, {
      minItems: 1,
      uniqueItems: true,
      errorMessage: 'must be a non-empty list of distinct model types ("llm", "text-embedding", "rerank", "moderation")',
    }),
  },
  strict,
);

const NameList = Type.Array(Id, { uniqueItems: true, errorMessage: 'must be a list of distinct lower-case kebab-case ids, such as ["true", "false"]' });

/** Schema of a `contributes.nodes[]` entry. */
export const NodeManifestEntrySchema = Type.Object(
  {
    ...common,
    configSchema: Type.Optional(JsonSchemaValue),
    inputSchema: Type.Optional(JsonSchemaValue),
    outputSchema: Type.Optional(JsonSchemaValue),
    handles: Type.Optional(NameList),
    subgraphs: Type.Optional(NameList),
  },
  strict,
);

/** Schema of a `contributes.vectorStores[]` entry. */
export const VectorStoreManifestEntrySchema = Type.Object(
  { ...common, credentialsSchema: Type.Optional(JsonSchemaValue) },
  strict,
);

/** Schema of a `contributes.documentLoaders[]` entry. */
export const DocumentLoaderManifestEntrySchema = Type.Object(
  {
    ...common,
    extensions: Type.Optional(
      Type.Array(Type.String({ pattern: "^\\.[a-z0-9][a-z0-9._+-]*$", errorMessage: 'must be a lower-case extension with a leading dot, such as ".pdf"' }), {
        errorMessage: 'must be a list of lower-case extensions with a leading dot, such as [".pdf", ".docx"]',
      }),
    ),
    mimeTypes: Type.Optional(
      Type.Array(Type.String({
          pattern: "^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$",
          errorMessage: 'must be a lower-case MIME type, such as "application/pdf"',
        }), {
        errorMessage: 'must be a list of lower-case MIME types, such as ["application/pdf"]',
      }),
    ),
  },
  strict,
);

const list = <T extends Parameters<typeof Type.Array>[0]>(entry: T) =>
  Type.Optional(Type.Array(entry, { errorMessage: "must be an array of contribution objects" }));

/** Schema of `contributes`. */
export const ContributesSchema = Type.Object(
  {
    tools: list(ToolManifestEntrySchema),
    modelProviders: list(ModelProviderManifestEntrySchema),
    nodes: list(NodeManifestEntrySchema),
    vectorStores: list(VectorStoreManifestEntrySchema),
    documentLoaders: list(DocumentLoaderManifestEntrySchema),
  },
  strict,
);

/** Schema of `permissions`. Everything not granted here is denied. */
export const PermissionsSchema = Type.Object(
  {
    network: Type.Optional(
      Type.Object(
        { hosts: Type.Array(Type.String(), { errorMessage: 'must be a list of host patterns such as ["api.example.com", "*.example.org:8443"]' }) },
        strict,
      ),
    ),
    models: Type.Optional(
      Type.Union(
        [
          Type.Boolean(),
          Type.Object({ types: Type.Array(ModelTypeSchema, { minItems: 1, uniqueItems: true }) }, strict),
        ],
        { errorMessage: 'must be true, false or { "types": [...] } listing "llm", "text-embedding" and/or "rerank"' },
      ),
    ),
    storage: Type.Optional(
      Type.Object(
        { quotaBytes: Type.Integer({ minimum: 0, errorMessage: "must be a non-negative integer number of bytes" }) },
        strict,
      ),
    ),
  },
  strict,
);

/**
 * The TypeBox schema of the `tessera` manifest. Unknown fields are rejected at
 * every level (except inside embedded JSON Schemas).
 */
export const ManifestSchema = Type.Object(
  {
    apiVersion: Type.String({ errorMessage: 'must be a semver range string such as "^1.0.0"' }),
    runtime: Type.Optional(PluginRuntimeSchema),
    main: Type.Optional(Type.String({ minLength: 1, errorMessage: `must be a relative path to the plugin bundle, such as "${DEFAULT_PLUGIN_MAIN}"` })),
    contributes: ContributesSchema,
    permissions: Type.Optional(PermissionsSchema),
    /**
     * JSON Schema (type object) of the plugin's own credentials, such as a
     * search API key: the console renders the form from it, the kernel keeps
     * the values encrypted per workspace, and the plugin reads them with
     * `ctx.secrets`. Model providers declare theirs per provider instead.
     */
    credentialsSchema: Type.Optional(JsonSchemaValue),
  },
  strict,
);

/** The `tessera` manifest as written in `package.json`. */
export type Manifest = Static<typeof ManifestSchema>;
/** A `contributes.tools[]` entry. */
export type ToolManifestEntry = Static<typeof ToolManifestEntrySchema>;
/** A `contributes.modelProviders[]` entry. */
export type ModelProviderManifestEntry = Static<typeof ModelProviderManifestEntrySchema>;
/** A `contributes.nodes[]` entry. */
export type NodeManifestEntry = Static<typeof NodeManifestEntrySchema>;
/** A `contributes.vectorStores[]` entry. */
export type VectorStoreManifestEntry = Static<typeof VectorStoreManifestEntrySchema>;
/** A `contributes.documentLoaders[]` entry. */
export type DocumentLoaderManifestEntry = Static<typeof DocumentLoaderManifestEntrySchema>;
/** The manifest's `contributes`. */
export type ManifestContributes = Static<typeof ContributesSchema>;
/** The manifest's `permissions`. */
export type ManifestPermissions = Static<typeof PermissionsSchema>;
/** The names of the manifest's contribution lists. */
export type ManifestContributionGroup = keyof ManifestContributes;

/** A validated manifest with defaults applied (`runtime`, `main`). */
export type ResolvedManifest = Manifest & {
  /** The runtime; {@link DEFAULT_PLUGIN_RUNTIME} when not declared. */
  readonly runtime: PluginRuntime;
  /** The bundle path; {@link DEFAULT_PLUGIN_MAIN} when not declared. */
  readonly main: string;
};

/**
 * The manifest list that declares each {@link definePlugin} contribution group
 * (the plugin's `providers` are the manifest's `modelProviders`); the table
 * lives in `kinds.ts`, shared with the console.
 */
export const MANIFEST_CONTRIBUTION_GROUPS: Readonly<Record<keyof typeof GROUP_LISTS, ManifestContributionGroup>> & typeof GROUP_LISTS = GROUP_LISTS;
