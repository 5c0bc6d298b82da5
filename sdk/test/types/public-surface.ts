/**
 * Compile-time tests of the public surface. This file is never executed; it is
 * type-checked by `tsc -p tsconfig.test.json` (part of `npm test`). Every
 * `@ts-expect-error` line must fail to compile, every other line must compile.
 */

import { Type } from "@sinclair/typebox";
import {
  collectChat,
  defineDocumentLoader,
  defineModelProvider,
  defineNode,
  definePlugin,
  defineTool,
  defineVectorStore,
  filter,
  PluginError,
  type AbortSignalLike,
  type ChatChunk,
  type ChatMessage,
  type JsonValue,
  type Manifest,
  type MetadataFilter,
  type ModelDescriptor,
  type Plugin,
  type PluginContext,
  type Tool,
} from "../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// --- defineTool: TypeBox parameters type the arguments -----------------------
export const search = defineTool({
  description: "search",
  parameters: Type.Object({ query: Type.String(), limit: Type.Optional(Type.Integer()) }),
  async invoke(args, ctx) {
    assertType<Equal<typeof args, { query: string; limit?: number }>>();
    const q: string = args.query;
    // @ts-expect-error -- `query` is a string, not a number
    const n: number = args.query;
    // @ts-expect-error -- no such argument
    void args.missing;
    void ctx.workspaceId;
    return { q, n, hits: [] as string[] };
  },
});
assertType<Equal<typeof search.kind, "tool">>();

// A plain JSON Schema gives loosely typed arguments.
defineTool({
  parameters: { type: "object", properties: { a: { type: "string" } } },
  invoke: (args) => {
    assertType<Equal<typeof args, Record<string, unknown>>>();
    return null;
  },
});

defineTool({
  parameters: Type.Object({}),
  // @ts-expect-error -- results must be JSON-serialisable; a function is not
  invoke: () => () => 1,
});

// @ts-expect-error -- `parameters` is required
defineTool({ invoke: () => null });

// --- defineNode: schemas, handles and subgraphs are typed --------------------
export const ifElse = defineNode({
  configSchema: Type.Object({ threshold: Type.Number() }),
  inputSchema: Type.Object({ value: Type.Number() }),
  outputSchema: Type.Object({ passed: Type.Boolean() }),
  handles: ["true", "false"],
  run({ config, inputs }) {
    const passed = inputs.value > config.threshold;
    return { outputs: { passed }, handle: passed ? "true" : "false" };
  },
});
assertType<Equal<NonNullable<typeof ifElse.handles>[number], "true" | "false">>();

defineNode({
  outputSchema: Type.Object({ passed: Type.Boolean() }),
  handles: ["true", "false"],
  // @ts-expect-error -- "maybe" is not a declared handle
  run: () => ({ outputs: { passed: true }, handle: "maybe" }),
});

defineNode({
  outputSchema: Type.Object({ passed: Type.Boolean() }),
  // @ts-expect-error -- outputs must match the output schema
  run: () => ({ outputs: { passed: "yes" } }),
});

// Streaming nodes yield chunks for declared outputs, then a result.
defineNode({
  outputSchema: Type.Object({ text: Type.String() }),
  async *run() {
    yield { type: "chunk", output: "text", text: "he" } as const;
    yield { type: "result", result: { outputs: { text: "hello" } } } as const;
  },
});

// Subgraph slots are typed.
defineNode({
  subgraphs: ["body"],
  async run(_input, ctx) {
    const r = await ctx.runSubgraph("body", { item: 1 });
    // @ts-expect-error -- "other" is not a declared subgraph
    await ctx.runSubgraph("other", {});
    return { outputs: r.status === "succeeded" ? { ...r.outputs } : {} };
  },
});

// --- defineModelProvider: credentials are typed ------------------------------
const models: ModelDescriptor[] = [
  {
    model: "m",
    label: "M",
    model_type: "llm",
    features: ["tool-call", "vision"],
    model_properties: { context_size: 128000, mode: "chat", max_output_tokens: 4096 },
    pricing: { input: 1, output: 2, unit: 0.000001, currency: "USD" },
  },
];
export const provider = defineModelProvider({
  credentialsSchema: Type.Object({ apiKey: Type.String() }),
  validateCredentials(credentials) {
    const key: string = credentials.apiKey;
    void key;
  },
  listModels: () => models,
  async *chat(request): AsyncGenerator<ChatChunk> {
    const key: string = request.credentials.apiKey;
    // @ts-expect-error -- no such credential
    void request.credentials.secret;
    yield { delta: { content: key }, finish_reason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } };
  },
});

// @ts-expect-error -- chat is required
defineModelProvider({ credentialsSchema: {}, validateCredentials() {}, listModels: () => [] });

// Moderation: an optional method, typed like embed/rerank.
export const moderator = defineModelProvider({
  credentialsSchema: Type.Object({ apiKey: Type.String() }),
  validateCredentials() {},
  listModels: () => [{ model: "mod", label: "Mod", model_type: "moderation", model_properties: { context_size: 32768 } }],
  async *chat(): AsyncGenerator<ChatChunk> {},
  moderate(request) {
    const key: string = request.credentials.apiKey;
    const texts: readonly string[] = request.input;
    void key;
    return { results: texts.map((t) => ({ flagged: t === "x", categories: { violence: t === "x" }, category_scores: { violence: 0.5 } })) };
  },
});
// @ts-expect-error -- a verdict needs `categories`
defineModelProvider({ credentialsSchema: {}, validateCredentials() {}, listModels: () => [], async *chat() {}, moderate: () => ({ results: [{ flagged: true }] }) });

// @ts-expect-error -- "audio" is not a model type
const badModel: ModelDescriptor = { model: "x", label: "x", model_type: "audio", model_properties: { context_size: 1 } };

// Messages follow the OpenAI shapes.
export const messages: ChatMessage[] = [
  { role: "system", content: "be brief" },
  { role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "data:," } }] },
  { role: "assistant", content: null, tool_calls: [{ id: "1", type: "function", function: { name: "f", arguments: "{}" } }] },
  { role: "tool", tool_call_id: "1", content: "{}" },
  // @ts-expect-error -- tool messages need tool_call_id
  { role: "tool", content: "{}" },
];

// --- vector stores and filters ----------------------------------------------
export const store = defineVectorStore({
  ensureCollection() {},
  upsert() {},
  delete(_collection, selector) {
    if ("ids" in selector) void selector.ids.length;
  },
  search: () => [{ id: "a", score: 1, payload: {} }],
});
export const f: MetadataFilter = filter.and(filter.eq("lang", "en"), filter.range("year", { gte: 2020 }));
// @ts-expect-error -- unknown filter operator
export const badFilter: MetadataFilter = { op: "like", field: "a", value: "b" };

// @ts-expect-error -- search is required
defineVectorStore({ ensureCollection() {}, upsert() {}, delete() {} });

// --- document loaders --------------------------------------------------------
export const loader = defineDocumentLoader({
  extensions: [".txt"],
  load: ({ bytes, filename }) => ({ text: String(bytes.length), metadata: { filename } }),
});

// --- definePlugin ------------------------------------------------------------
export const plugin = definePlugin({
  tools: { "web-search": search },
  providers: { acme: provider },
  nodes: { "if-else": ifElse },
  vectorStores: { memory: store },
  documentLoaders: { text: loader },
  activate(ctx) {
    ctx.log.info("ready");
  },
});
const asPlugin: Plugin = plugin;
void asPlugin;
assertType<Equal<typeof plugin.tools["web-search"], typeof search>>();

// @ts-expect-error -- a tool is not a model provider
definePlugin({ providers: { oops: search } });
// @ts-expect-error -- contributions must be built with define* (they carry `kind`)
definePlugin({ tools: { raw: { parameters: {}, invoke: () => null } } });

// --- context, errors, manifest ----------------------------------------------
export async function useContext(ctx: PluginContext): Promise<JsonValue | undefined> {
  const res = await ctx.fetch("https://api.example.com", { method: "POST", body: "{}", signal: ctx.signal });
  await ctx.kv.set("k", { n: 1 });
  // @ts-expect-error -- kv values must be JSON
  await ctx.kv.set("k", new Map());
  const completion = await collectChat(ctx.models.chat({ provider: "acme", model: "m", messages }));
  void completion.message.content;
  // @ts-expect-error -- PluginContext offers no file system
  void ctx.fs;
  return res.ok ? ((await res.json()) as JsonValue) : ctx.kv.get("k");
}

export const signal: AbortSignalLike = new AbortController().signal;
export const err = new PluginError("plugin_rate_limited", "slow down", { retryAfterMs: 1000 });
// @ts-expect-error -- unknown error code
export const badErr = new PluginError("plugin_exploded", "boom");

export const manifest: Manifest = {
  apiVersion: "^1.0.0",
  contributes: { tools: [{ id: "web-search", name: "Search", description: "", parameters: { type: "object" } }] },
  permissions: { network: { hosts: ["api.example.com"] }, models: { types: ["llm"] }, storage: { quotaBytes: 1024 } },
};
// @ts-expect-error -- runtime must be "isolate" or "node"
export const badManifest: Manifest = { apiVersion: "^1.0.0", runtime: "deno", contributes: {} };

export type _unused = Tool | typeof badModel;
