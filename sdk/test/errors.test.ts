import { expect } from "chai";
import {
  isPluginError,
  isRetryablePluginError,
  PLUGIN_ERROR_CODES,
  PluginError,
  pluginErrorStatus,
} from "../src/index.js";

describe("PluginError", () => {
  it("round-trips through JSON.stringify and fromJSON with code, message, details and retry hint", () => {
    const original = new PluginError("plugin_rate_limited", "slow down", {
      details: { upstream: "openai", status: 429 },
      retryAfterMs: 1500,
      cause: new TypeError("socket hang up"),
    });
    const wire = JSON.parse(JSON.stringify(original)) as unknown;
    expect(wire).to.deep.equal({
      name: "PluginError",
      code: "plugin_rate_limited",
      message: "slow down",
      details: { upstream: "openai", status: 429 },
      retryAfterMs: 1500,
      cause: "TypeError: socket hang up",
    });
    const restored = PluginError.fromJSON(wire);
    expect(restored).to.be.instanceOf(PluginError).and.instanceOf(Error);
    expect(restored.name).to.equal("PluginError");
    expect(restored.code).to.equal("plugin_rate_limited");
    expect(restored.message).to.equal("slow down");
    expect(restored.details).to.deep.equal({ upstream: "openai", status: 429 });
    expect(restored.retryAfterMs).to.equal(1500);
    expect(restored.toJSON()).to.deep.equal(wire);
  });

  it("omits absent optional fields from its JSON form", () => {
    expect(new PluginError("plugin_not_found", "no such model").toJSON()).to.deep.equal({
      name: "PluginError",
      code: "plugin_not_found",
      message: "no such model",
    });
  });

  it("maps codes to HTTP statuses so callers can tell 400/401/429 from 5xx", () => {
    expect(new PluginError("plugin_invalid_arguments", "").status).to.equal(400);
    expect(new PluginError("plugin_credentials_invalid", "").status).to.equal(401);
    expect(new PluginError("plugin_rate_limited", "").status).to.equal(429);
    expect(new PluginError("plugin_upstream_error", "").status).to.equal(502);
    for (const code of PLUGIN_ERROR_CODES) expect(pluginErrorStatus(code)).to.be.within(400, 599);
  });

  it("marks only transient failures as retryable", () => {
    const retryable = PLUGIN_ERROR_CODES.filter(isRetryablePluginError);
    expect(retryable).to.have.members(["plugin_rate_limited", "plugin_upstream_error", "plugin_timeout"]);
    expect(new PluginError("plugin_timeout", "").retryable).to.equal(true);
    expect(new PluginError("plugin_credentials_invalid", "").retryable).to.equal(false);
  });

  it("rebuilds foreign or damaged JSON as plugin_internal_error instead of throwing", () => {
    expect(PluginError.fromJSON({ code: "plugin_exploded", message: "boom" }).code).to.equal("plugin_internal_error");
    const fromGarbage = PluginError.fromJSON("garbage");
    expect(fromGarbage.code).to.equal("plugin_internal_error");
    expect(fromGarbage.message).to.equal("plugin error");
  });

  it("normalises anything thrown with PluginError.from", () => {
    const e = new PluginError("plugin_not_found", "x");
    expect(PluginError.from(e)).to.equal(e);
    expect(PluginError.from(e.toJSON()).code).to.equal("plugin_not_found");
    expect(PluginError.from(new Error("bad")).code).to.equal("plugin_internal_error");
    const abort = new Error("aborted");
    abort.name = "AbortError";
    expect(PluginError.from(abort).code).to.equal("plugin_cancelled");
    expect(PluginError.from("text").message).to.equal("text");
  });

  it("recognises plugin errors and their JSON form, but not look-alikes", () => {
    const e = new PluginError("plugin_timeout", "late");
    expect(isPluginError(e)).to.equal(true);
    expect(isPluginError(e.toJSON())).to.equal(true);
    expect(isPluginError({ name: "PluginError", code: "nope", message: "" })).to.equal(false);
    expect(isPluginError(new Error("x"))).to.equal(false);
  });
});
