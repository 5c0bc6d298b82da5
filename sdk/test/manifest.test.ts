import { expect } from "chai";
import { parseManifest, SDK_API_VERSION, type ManifestError } from "../src/index.js";

type Json = Record<string, unknown>;

/** A complete, valid package.json; tests break one field at a time. */
function goodPackage(): Json {
  return {
    name: "@acme/tessera-plugin-kitchen-sink",
    version: "1.2.3",
    tessera: {
      apiVersion: "^1.0.0",
      runtime: "isolate",
      main: "dist/plugin.js",
      contributes: {
        tools: [
          {
            id: "web-search",
            name: "Web search",
            description: "Searches the web",
            icon: "assets/search.svg",
            parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
          },
        ],
        modelProviders: [
          { id: "acme", name: "Acme AI", description: "", credentialsSchema: { type: "object" }, modelTypes: ["llm", "text-embedding"] },
        ],
        nodes: [
          {
            id: "if-else",
            name: "If / else",
            description: "Branches",
            configSchema: { type: "object" },
            inputSchema: { type: "object" },
            outputSchema: { type: "object" },
            handles: ["true", "false"],
          },
        ],
        vectorStores: [{ id: "qdrant", name: "Qdrant", description: "", credentialsSchema: { type: "object" } }],
        documentLoaders: [{ id: "pdf", name: "PDF", description: "", extensions: [".pdf"], mimeTypes: ["application/pdf"] }],
      },
      permissions: {
        network: { hosts: ["api.acme.ai", "*.acme-cdn.net", "localhost:11434", "*"] },
        models: { types: ["llm"] },
        storage: { quotaBytes: 1048576 },
      },
    },
  };
}

/** Applies `mutate` to a fresh good package.json and returns the errors. */
function errorsAfter(mutate: (pkg: Json, tessera: Json) => void): ManifestError[] {
  const pkg = goodPackage();
  mutate(pkg, pkg["tessera"] as Json);
  const result = parseManifest(pkg);
  expect(result.ok, "expected the manifest to be rejected").to.equal(false);
  return result.ok ? [] : [...result.errors];
}

function contributes(tessera: Json): Record<string, Json[]> {
  return tessera["contributes"] as Record<string, Json[]>;
}

function messageAt(errors: ManifestError[], path: string): string {
  const error = errors.find((e) => e.path === path);
  expect(error, `expected an error at ${path}, got ${JSON.stringify(errors)}`).to.not.equal(undefined);
  return error?.message ?? "";
}

describe("parseManifest", () => {
  describe("accepting", () => {
    it("accepts a complete manifest and returns name, version and the manifest", () => {
      const result = parseManifest(goodPackage());
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.name).to.equal("@acme/tessera-plugin-kitchen-sink");
      expect(result.version).to.equal("1.2.3");
      expect(result.manifest.contributes.tools?.[0]?.id).to.equal("web-search");
      expect(result.manifest.permissions?.network?.hosts).to.include("*.acme-cdn.net");
    });

    it("fills in runtime 'isolate' and main 'dist/plugin.js' when they are omitted", () => {
      const pkg = goodPackage();
      const tessera = pkg["tessera"] as Json;
      delete tessera["runtime"];
      delete tessera["main"];
      delete tessera["permissions"];
      const result = parseManifest(pkg);
      expect(result.ok).to.equal(true);
      if (result.ok) {
        expect(result.manifest.runtime).to.equal("isolate");
        expect(result.manifest.main).to.equal("dist/plugin.js");
      }
    });

    it("accepts runtime 'node' and 'models: true'", () => {
      const pkg = goodPackage();
      const tessera = pkg["tessera"] as Json;
      tessera["runtime"] = "node";
      (tessera["permissions"] as Json)["models"] = true;
      expect(parseManifest(pkg).ok).to.equal(true);
    });

    it("accepts every model type, moderation included", () => {
      const pkg = goodPackage();
      contributes(pkg["tessera"] as Json)["modelProviders"]![0]!["modelTypes"] = ["llm", "text-embedding", "rerank", "moderation"];
      expect(parseManifest(pkg).ok).to.equal(true);
    });

    it("accepts aliases a model provider answers to, such as Dify's provider ids", () => {
      const pkg = goodPackage();
      contributes(pkg["tessera"] as Json)["modelProviders"]![0]!["aliases"] = ["openai_api_compatible", "ollama"];
      expect(parseManifest(pkg).ok).to.equal(true);
    });

    it("returns a copy that does not change when the input is mutated afterwards", () => {
      const pkg = goodPackage();
      const result = parseManifest(pkg);
      contributes(pkg["tessera"] as Json)["tools"]![0]!["id"] = "changed";
      expect(result.ok && result.manifest.contributes.tools?.[0]?.id).to.equal("web-search");
    });
  });

  describe("package fields", () => {
    it("rejects a package.json that is not an object", () => {
      const result = parseManifest("nope");
      expect(result.ok).to.equal(false);
      expect(!result.ok && result.errors[0]?.message).to.match(/must be a JSON object/);
    });

    it("names 'tessera' when the tessera field is missing", () => {
      const errors = errorsAfter((pkg) => delete pkg["tessera"]);
      expect(messageAt(errors, "tessera")).to.match(/missing.*"tessera" field/);
    });

    it("names 'tessera' when the tessera field is not an object", () => {
      expect(messageAt(errorsAfter((pkg) => (pkg["tessera"] = [])), "tessera")).to.match(/must be an object/);
    });

    it("names 'name' when the package name is missing or invalid", () => {
      expect(messageAt(errorsAfter((pkg) => delete pkg["name"]), "name")).to.match(/is required/);
      expect(messageAt(errorsAfter((pkg) => (pkg["name"] = "Bad Name")), "name")).to.match(/not a valid npm package name/);
    });

    it("names 'version' when the package version is not semver", () => {
      expect(messageAt(errorsAfter((pkg) => (pkg["version"] = "one")), "version")).to.match(/not a valid semver version/);
    });
  });

  describe("apiVersion", () => {
    it("names tessera.apiVersion when it is missing", () => {
      expect(messageAt(errorsAfter((_, t) => delete t["apiVersion"]), "tessera.apiVersion")).to.equal("is required");
    });

    it("names tessera.apiVersion when it is not a valid range", () => {
      const errors = errorsAfter((_, t) => (t["apiVersion"] = "latest"));
      expect(messageAt(errors, "tessera.apiVersion")).to.match(/"latest" is not a valid semver range/);
    });

    it("names tessera.apiVersion when the range is not satisfied by SDK_API_VERSION", () => {
      const errors = errorsAfter((_, t) => (t["apiVersion"] = "^2.0.0"));
      expect(messageAt(errors, "tessera.apiVersion")).to.contain(`this SDK implements API ${SDK_API_VERSION}`);
    });

    for (const range of ["^1.0.0", "~1.0.0", ">=0.9.0", "1.0.0", "1.x", "*", ">=1.0.0 <2.0.0", "^0.9.0 || ^1.0.0"]) {
      it(`accepts apiVersion "${range}" because it includes ${SDK_API_VERSION}`, () => {
        const pkg = goodPackage();
        (pkg["tessera"] as Json)["apiVersion"] = range;
        expect(parseManifest(pkg).ok).to.equal(true);
      });
    }
  });

  describe("top-level manifest fields", () => {
    it("names tessera.runtime when the runtime is unknown", () => {
      expect(messageAt(errorsAfter((_, t) => (t["runtime"] = "deno")), "tessera.runtime")).to.equal('must be "isolate" or "node"');
    });

    it("names an unknown top-level field and lists the allowed ones", () => {
      const message = messageAt(errorsAfter((_, t) => (t["contributions"] = {})), "tessera.contributions");
      expect(message).to.match(/unknown field "contributions"/);
      expect(message).to.contain("apiVersion, runtime, main, contributes, permissions");
    });

    it("names tessera.main when it escapes the package or is not a JS bundle", () => {
      expect(messageAt(errorsAfter((_, t) => (t["main"] = "../evil.js")), "tessera.main")).to.match(/inside the package/);
      expect(messageAt(errorsAfter((_, t) => (t["main"] = "/abs/plugin.js")), "tessera.main")).to.match(/relative path/);
      expect(messageAt(errorsAfter((_, t) => (t["main"] = "dist/plugin.ts")), "tessera.main")).to.match(/\.js or \.mjs/);
    });

    it("names tessera.contributes when it is missing or empty", () => {
      expect(messageAt(errorsAfter((_, t) => delete t["contributes"]), "tessera.contributes")).to.equal("is required");
      expect(messageAt(errorsAfter((_, t) => (t["contributes"] = {})), "tessera.contributes")).to.match(/no contributions/);
    });
  });

  describe("contributions", () => {
    it("names tessera.contributes.tools[0].id when a tool id has upper-case letters", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["tools"]![0]!["id"] = "WebSearch"));
      expect(messageAt(errors, "tessera.contributes.tools[0].id")).to.match(/lower-case kebab-case/);
    });

    it("names the second entry's id when two tools share an id", () => {
      const errors = errorsAfter((_, t) => {
        const tools = contributes(t)["tools"]!;
        tools.push({ ...tools[0]! });
      });
      expect(messageAt(errors, "tessera.contributes.tools[1].id")).to.equal(
        'duplicate tool id "web-search" (already used by tessera.contributes.tools[0])',
      );
    });

    it("allows the same id in different kinds", () => {
      const pkg = goodPackage();
      contributes(pkg["tessera"] as Json)["vectorStores"]![0]!["id"] = "web-search";
      expect(parseManifest(pkg).ok).to.equal(true);
    });

    it("names a missing required entry field", () => {
      const errors = errorsAfter((_, t) => delete contributes(t)["tools"]![0]!["description"]);
      expect(messageAt(errors, "tessera.contributes.tools[0].description")).to.equal("is required");
    });

    it("names an unknown field inside a contribution", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["nodes"]![0]!["handels"] = ["a"]));
      expect(messageAt(errors, "tessera.contributes.nodes[0].handels")).to.match(/unknown field "handels"/);
    });

    it("names tools[0].parameters when the parameters schema is not an object schema", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["tools"]![0]!["parameters"] = { type: "string" }));
      expect(messageAt(errors, "tessera.contributes.tools[0].parameters")).to.match(/object schema/);
    });

    it("names modelProviders[0].modelTypes[1] when a model type is unknown", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["modelProviders"]![0]!["modelTypes"] = ["llm", "tts"]));
      expect(messageAt(errors, "tessera.contributes.modelProviders[0].modelTypes[1]")).to.match(/"llm", "text-embedding", "rerank"/);
    });

    it("names modelProviders[0].aliases when an alias is not a provider id", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["modelProviders"]![0]!["aliases"] = ["Has Spaces"]));
      expect(messageAt(errors, "tessera.contributes.modelProviders[0].aliases[0]")).to.match(/must be a provider id/);
    });

    it("names nodes[0].handles when a handle is declared twice", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["nodes"]![0]!["handles"] = ["true", "true"]));
      expect(messageAt(errors, "tessera.contributes.nodes[0].handles")).to.match(/distinct/);
    });

    it("names documentLoaders[0].extensions[0] when an extension lacks the leading dot", () => {
      const errors = errorsAfter((_, t) => (contributes(t)["documentLoaders"]![0]!["extensions"] = ["pdf"]));
      expect(messageAt(errors, "tessera.contributes.documentLoaders[0].extensions[0]")).to.match(/leading dot/);
    });

    it("names documentLoaders[0] when a loader declares neither extensions nor MIME types", () => {
      const errors = errorsAfter((_, t) => {
        const loader = contributes(t)["documentLoaders"]![0]!;
        delete loader["extensions"];
        delete loader["mimeTypes"];
      });
      expect(messageAt(errors, "tessera.contributes.documentLoaders[0]")).to.match(/"extensions" or "mimeTypes"/);
    });
  });

  describe("permissions", () => {
    const hostErrors: Array<[string, RegExp]> = [
      ["https://api.acme.ai", /not a URL/],
      ["api.acme.ai/v1", /without path/],
      ["*.com", /at least two labels/],
      ["api.*.acme.ai", /whole first label/],
      ["API.acme.ai", /lower-case/],
      ["api.acme.ai:0", /port/],
      ["a..b", /empty label/],
      ["under_score.ai", /may only contain/],
    ];
    for (const [host, reason] of hostErrors) {
      it(`names tessera.permissions.network.hosts[1] for the invalid host pattern "${host}"`, () => {
        const errors = errorsAfter((_, t) => {
          ((t["permissions"] as Json)["network"] as Json)["hosts"] = ["ok.example.com", host];
        });
        const message = messageAt(errors, "tessera.permissions.network.hosts[1]");
        expect(message).to.contain(`"${host}" is not a valid host pattern`);
        expect(message).to.match(reason);
      });
    }

    it("names tessera.permissions.models when it is neither a boolean nor { types }", () => {
      const errors = errorsAfter((_, t) => ((t["permissions"] as Json)["models"] = "yes"));
      expect(messageAt(errors, "tessera.permissions.models")).to.match(/must be true, false or \{ "types"/);
    });

    it("names tessera.permissions.storage.quotaBytes when it is negative", () => {
      const errors = errorsAfter((_, t) => ((t["permissions"] as Json)["storage"] = { quotaBytes: -1 }));
      expect(messageAt(errors, "tessera.permissions.storage.quotaBytes")).to.match(/non-negative integer/);
    });

    it("names an unknown permission", () => {
      const errors = errorsAfter((_, t) => ((t["permissions"] as Json)["filesystem"] = true));
      expect(messageAt(errors, "tessera.permissions.filesystem")).to.match(/unknown field "filesystem"/);
    });
  });

  it("reports one message per bad field when several fields are bad at once", () => {
    const errors = errorsAfter((pkg, t) => {
      delete pkg["name"];
      t["runtime"] = "deno";
      contributes(t)["tools"]![0]!["id"] = 42;
    });
    expect(errors.map((e) => e.path)).to.have.members(["name", "tessera.runtime", "tessera.contributes.tools[0].id"]);
  });
});
