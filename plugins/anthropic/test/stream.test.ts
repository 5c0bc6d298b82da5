import { expect } from "chai";
import { codeForStatus, codeForType, parseErrorBody, parseRetryAfter } from "../src/errors.js";
import { finishReason, MessageStreamTranslator } from "../src/stream.js";

const ev = (data: unknown, event = "message") => ({ event, data: JSON.stringify(data) });

describe("stream translation", () => {
  it("maps stop reasons", () => {
    expect(finishReason("end_turn")).to.equal("stop");
    expect(finishReason("stop_sequence")).to.equal("stop");
    expect(finishReason("tool_use")).to.equal("tool_calls");
    expect(finishReason("max_tokens")).to.equal("length");
    expect(finishReason("refusal")).to.equal("content_filter");
    expect(finishReason(null)).to.equal(null);
  });

  it("ignores unknown events and blocks (forward compatibility)", () => {
    const t = new MessageStreamTranslator();
    expect(t.push(ev({ type: "something_new", x: 1 }))).to.deep.equal([]);
    expect(t.push(ev({ type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "xx" } }))).to.deep.equal([]);
    expect(t.push(ev({ type: "content_block_delta", index: 0, delta: { type: "citations_delta", citation: {} } }))).to.deep.equal([]);
  });

  it("rejects input_json_delta outside a tool_use block and events without an index", () => {
    const t = new MessageStreamTranslator();
    t.push(ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }));
    expect(() => t.push(ev({ type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "{" } }))).to.throw(/outside a tool_use/);
    expect(() => t.push(ev({ type: "content_block_stop" }))).to.throw(/without an index/);
  });

  it("reports a stream that never started or never stopped", () => {
    expect(() => new MessageStreamTranslator().end()).to.throw(/no events/);
    const t = new MessageStreamTranslator();
    t.push(ev({ type: "message_start", message: { usage: { input_tokens: 3 } } }));
    expect(() => t.end()).to.throw(/no message_stop/);
    t.push(ev({ type: "message_stop" }));
    expect(() => t.end()).not.to.throw();
  });

  it("uses the event name when the data has no type", () => {
    const t = new MessageStreamTranslator();
    expect(() => t.push(ev({ error: { type: "api_error", message: "boom" } }, "error"))).to.throw(/boom/);
  });
});

describe("error mapping", () => {
  it("maps statuses and error types", () => {
    expect([400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 504, 529].map(codeForStatus)).to.deep.equal([
      "plugin_invalid_arguments", "plugin_credentials_invalid", "plugin_credentials_invalid", "plugin_not_found", "plugin_timeout",
      "plugin_invalid_arguments", "plugin_invalid_arguments", "plugin_rate_limited", "plugin_upstream_error", "plugin_upstream_error",
      "plugin_timeout", "plugin_upstream_error",
    ]);
    expect(codeForType("overloaded_error")).to.equal("plugin_upstream_error");
    expect(codeForType("authentication_error")).to.equal("plugin_credentials_invalid");
    expect(codeForType("invalid_request_error")).to.equal("plugin_invalid_arguments");
    expect(codeForType("who_knows")).to.equal("plugin_upstream_error");
    expect(codeForType(undefined)).to.equal("plugin_upstream_error");
  });

  it("parses retry-after as seconds or an HTTP date", () => {
    expect(parseRetryAfter("7")).to.equal(7000);
    expect(parseRetryAfter("0.5")).to.equal(500);
    expect(parseRetryAfter(null)).to.equal(undefined);
    expect(parseRetryAfter("soon")).to.equal(undefined);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).to.equal(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).to.equal(0);
  });

  it("reads error bodies, JSON or not", () => {
    expect(parseErrorBody('{"type":"error","error":{"type":"x","message":"y"}}')).to.deep.equal({ error: { type: "x", message: "y" } });
    expect(parseErrorBody('{"message":"plain"}')).to.deep.equal({ fallback: "plain" });
    expect(parseErrorBody("")).to.deep.equal({});
    expect(parseErrorBody("x".repeat(400)).fallback).to.have.length(301);
  });
});
