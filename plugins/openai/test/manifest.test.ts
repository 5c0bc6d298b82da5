import { expect } from "chai";
import { createTestHost, type TestHost } from "@tessera/sdk/testing";
import { credentialsSchema } from "../src/credentials.js";
import { pluginDir } from "./support/harness.js";

describe("manifest and bundle", () => {
  let host: TestHost;
  before(async () => {
    host = await createTestHost({ pluginDir });
  });
  after(() => host?.close());

  it("declares the `openai` provider for llm, text-embedding and moderation models, reaching any host the admin grants", () => {
    const providers = host.manifest.contributes.modelProviders ?? [];
    expect(providers.map((p) => [p.id, p.modelTypes])).to.deep.equal([["openai", ["llm", "text-embedding", "moderation"]]]);
    expect(host.manifest.permissions).to.deep.equal({ network: { hosts: ["*"] } });
  });

  it("declares the code's credentials schema for the provider and at the top level (where the kernel stores credentials)", () => {
    const schema = JSON.parse(JSON.stringify(credentialsSchema)) as Record<string, unknown>;
    expect(host.manifest.contributes.modelProviders?.[0]?.credentialsSchema).to.deep.equal(schema);
    // Provider credentials live with the provider (the model runtime stores them), not as plugin-level secrets.
    expect(host.manifest.credentialsSchema).to.equal(undefined);
    const properties = schema["properties"] as Record<string, Record<string, unknown>>;
    expect(Object.keys(properties)).to.deep.equal(["api_key", "base_url", "api_type", "api_version", "organization", "models"]);
    expect(properties["api_key"]).to.include({ "x-secret": true, writeOnly: true, title: "API key" });
    expect(properties["base_url"]).to.include({ default: "https://api.openai.com/v1" });
    expect(schema).to.not.have.property("required");
  });

  it("does not implement the optional countTokens (the kernel falls back to its approximation)", async () => {
    let failure: { code?: string } | undefined;
    try {
      await host.call("providers", "openai", "countTokens", [{ model: "gpt-4o", messages: [], credentials: {} }]);
    } catch (error) {
      failure = error as { code?: string };
    }
    expect(failure?.code).to.equal("plugin_not_supported");
  });

  it("refuses a call with no network grant before connecting", async () => {
    let failure: { code?: string } | undefined;
    try {
      for await (const _ of host.chat("openai", { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, { base_url: "http://127.0.0.1:9/v1" })) break;
    } catch (error) {
      failure = error as { code?: string };
    }
    expect(failure?.code).to.equal("plugin_permission_denied");
  });
});
