import { Type } from "@sinclair/typebox";
import { expect } from "chai";
import {
  defineDocumentLoader,
  defineModelProvider,
  defineNode,
  definePlugin,
  defineTool,
  defineVectorStore,
  isPlugin,
  PluginError,
  SDK_API_VERSION,
  type ChatChunk,
} from "../src/index.js";

const tool = () => defineTool({ parameters: Type.Object({ q: Type.String() }), invoke: ({ q }) => ({ echo: q }) });
const provider = () =>
  defineModelProvider({
    credentialsSchema: Type.Object({ apiKey: Type.String() }),
    validateCredentials() {},
    listModels: () => [],
    async *chat(): AsyncGenerator<ChatChunk> {
      yield { delta: { content: "hi" }, finish_reason: "stop" };
    },
  });
const node = () => defineNode({ handles: ["true", "false"], run: () => ({ outputs: {}, handle: "true" }) });
const store = () =>
  defineVectorStore({ ensureCollection() {}, upsert() {}, delete() {}, search: () => [] });
const loader = () => defineDocumentLoader({ mimeTypes: ["text/plain"], load: () => ({ text: "", metadata: {} }) });

function expectDefinitionError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PluginError);
    expect((error as PluginError).code).to.equal("plugin_invalid_definition");
    expect((error as PluginError).message).to.match(message);
    return;
  }
  expect.fail("expected a plugin_invalid_definition error");
}

describe("define* factories", () => {
  it("attaches the kind discriminator to each contribution", () => {
    expect(tool().kind).to.equal("tool");
    expect(provider().kind).to.equal("model-provider");
    expect(node().kind).to.equal("node");
    expect(store().kind).to.equal("vector-store");
    expect(loader().kind).to.equal("document-loader");
  });

  it("returns a copy of a plain definition with its methods intact", async () => {
    const def = { parameters: { type: "object" }, invoke: () => 42 };
    const t = defineTool(def);
    expect(t).to.not.equal(def);
    expect(def).to.not.have.property("kind");
    expect(await t.invoke({}, undefined as never)).to.equal(42);
  });

  it("keeps class-based definitions working by tagging the instance itself", async () => {
    class Store {
      #hits = [{ id: "a", score: 1, payload: {} }];
      ensureCollection() {}
      upsert() {}
      delete() {}
      search() {
        return this.#hits;
      }
    }
    const instance = new Store();
    const s = defineVectorStore(instance);
    expect(s).to.equal(instance);
    expect(s.kind).to.equal("vector-store");
    expect(await s.search("c", { vector: [1], k: 1 }, undefined as never)).to.have.length(1);
  });

  it("rejects a tool without invoke() or parameters", () => {
    expectDefinitionError(() => defineTool({ parameters: {} } as never), /must implement invoke\(\)/);
    expectDefinitionError(() => defineTool({ invoke: () => null } as never), /parameters must be a JSON Schema object/);
  });

  it("rejects a model provider missing a required method", () => {
    expectDefinitionError(
      () => defineModelProvider({ credentialsSchema: {}, validateCredentials() {}, listModels: () => [] } as never),
      /must implement chat\(\)/,
    );
  });

  it("rejects a node whose handles are not kebab-case or repeat", () => {
    expectDefinitionError(() => defineNode({ handles: ["True"], run: () => ({ outputs: {} }) }), /kebab-case/);
    expectDefinitionError(() => defineNode({ handles: ["a", "a"], run: () => ({ outputs: {} }) }), /declared twice/);
  });

  it("rejects a document loader that handles no extension or MIME type", () => {
    expectDefinitionError(() => defineDocumentLoader({ load: () => ({ text: "", metadata: {} }) }), /at least one extension/);
  });

  it("rejects re-defining a contribution as a different kind", () => {
    expectDefinitionError(() => defineNode({ kind: "tool", run: () => ({ outputs: {} }) } as never), /expected kind "node"/);
  });
});

describe("definePlugin", () => {
  it("collects contributions by id under every group and stamps the API version", () => {
    const t = tool();
    const plugin = definePlugin({
      tools: { "web-search": t },
      providers: { acme: provider() },
      nodes: { "if-else": node() },
      vectorStores: { memory: store() },
      documentLoaders: { text: loader() },
    });
    expect(plugin.kind).to.equal("plugin");
    expect(plugin.apiVersion).to.equal(SDK_API_VERSION);
    expect(plugin.tools["web-search"]).to.equal(t);
    expect(Object.keys(plugin.providers)).to.deep.equal(["acme"]);
    expect(Object.keys(plugin.nodes)).to.deep.equal(["if-else"]);
    expect(Object.keys(plugin.vectorStores)).to.deep.equal(["memory"]);
    expect(Object.keys(plugin.documentLoaders)).to.deep.equal(["text"]);
    expect(isPlugin(plugin)).to.equal(true);
  });

  it("fills omitted groups with empty objects and freezes the result", () => {
    const plugin = definePlugin({ tools: { t: tool() } });
    expect(plugin.nodes).to.deep.equal({});
    expect(Object.isFrozen(plugin)).to.equal(true);
    expect(Object.isFrozen(plugin.tools)).to.equal(true);
  });

  it("calls activate and deactivate with the definition as `this`", async () => {
    const calls: unknown[] = [];
    const def = {
      tools: { t: tool() },
      activate() {
        calls.push(["activate", this === def]);
      },
      deactivate() {
        calls.push(["deactivate", this === def]);
      },
    };
    const plugin = definePlugin(def);
    await plugin.activate?.({ signal: new AbortController().signal, log: console });
    await plugin.deactivate?.();
    expect(calls).to.deep.equal([["activate", true], ["deactivate", true]]);
  });

  it("rejects a contribution filed under the wrong group", () => {
    expectDefinitionError(() => definePlugin({ providers: { oops: tool() as never } }), /providers\["oops"\] must be a model-provider/);
  });

  it("rejects a contribution not built with a define* helper", () => {
    expectDefinitionError(
      () => definePlugin({ tools: { raw: { parameters: {}, invoke: () => null } as never } }),
      /without a kind/,
    );
  });

  it("rejects contribution ids that are not kebab-case", () => {
    expectDefinitionError(() => definePlugin({ tools: { WebSearch: tool() } }), /id "WebSearch"/);
  });

  it("rejects unknown keys such as a misspelt group", () => {
    expectDefinitionError(() => definePlugin({ tool: { t: tool() } } as never), /unknown key "tool"/);
  });

  it("does not recognise arbitrary objects as plugins", () => {
    expect(isPlugin({ kind: "plugin" })).to.equal(false);
    expect(isPlugin(null)).to.equal(false);
  });
});

describe("defineTool argument checking", () => {
  it("refuses arguments that do not match a TypeBox parameters schema, naming the field", async () => {
    const { Type } = await import("@sinclair/typebox");
    const { defineTool } = await import("../src/define.js");
    const tool = defineTool({ parameters: Type.Object({ name: Type.String(), count: Type.Optional(Type.Integer({ minimum: 1 })) }), invoke: (args) => `hi ${args.name}` });
    const ctx = {} as never;
    expect(await tool.invoke({ name: "Ada" }, ctx)).to.equal("hi Ada");
    let error: unknown;
    try {
      await tool.invoke({ count: 0 } as never, ctx);
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string }).code).to.equal("plugin_invalid_arguments");
    expect((error as Error).message).to.match(/^arguments\.(name|count): /);
  });

  it("treats unknown string formats as annotations", async () => {
    const { Type } = await import("@sinclair/typebox");
    const { defineTool } = await import("../src/define.js");
    const tool = defineTool({ parameters: Type.Object({ url: Type.String({ format: "uri" }) }), invoke: (args) => args.url });
    expect(await tool.invoke({ url: "not checked as a URI" }, {} as never)).to.equal("not checked as a URI");
  });
});
