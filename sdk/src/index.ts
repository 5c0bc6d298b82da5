/**
 * `@tessera/sdk` — the contract between the Tessera kernel and its plugins.
 *
 * - Extension points: {@link ModelProvider}, {@link VectorStore},
 *   {@link WorkflowNode}, {@link Tool}, {@link DocumentLoader}.
 * - What plugin code may use: {@link PluginContext}.
 * - How a plugin is assembled: {@link definePlugin} and the other `define*` helpers.
 * - How a plugin is described: the {@link ManifestSchema} of the `tessera`
 *   field of its `package.json`, validated by {@link parseManifest}.
 * - How failures are reported: {@link PluginError}.
 *
 * Everything exported here runs without Node built-ins, so plugin bundles
 * can import it inside the kernel's V8 isolate.
 *
 * @packageDocumentation
 */

export { SDK_API_VERSION } from "./version.js";
export * from "./json.js";
export * from "./errors.js";
export * from "./abort.js";
export * from "./context.js";
export * from "./chat.js";
export * from "./model-calls.js";
export * from "./model-provider.js";
export * from "./vector-store.js";
export * from "./node.js";
export * from "./tool.js";
export * from "./document-loader.js";
export * from "./ids.js";
export * from "./plugin.js";
export { CONTRIBUTION_KINDS, MANIFEST_LIST_KINDS } from "./kinds.js";
export * from "./define.js";
export { checkArguments } from "./arguments.js";
export * from "./semver.js";
export * from "./host-pattern.js";
export * from "./manifest.js";
export type { Grants } from "./grants.js";
export * from "./manifest-parse.js";
