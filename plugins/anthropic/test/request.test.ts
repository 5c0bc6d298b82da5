import { expect } from "chai";
import type { ChatParams } from "@tessera/sdk";
import { endpointFor } from "../src/credentials.js";
import { formatInstruction, imageBlock, parseArguments, toAnthropicRequest, toToolChoice } from "../src/request.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const user = (content: string) => ({ role: "user" as const, content });

describe("ChatParams → Messages API request", () => {
  it("requires max_tokens by defaulting it to 4096 and always streams", () => {
    const body = toAnthropicRequest({ model: "claude-3-haiku-20240307", messages: [user("hi")] });
    expect(body).to.deep.equal({ model: "claude-3-haiku-20240307", max_tokens: 4096, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stream: true });
    expect(() => toAnthropicRequest({ model: "m", messages: [user("hi")], max_tokens: 0 })).to.throw(/max_tokens/);
  });

  it("hoists every system message into the top-level system, in order", () => {
    const body = toAnthropicRequest({
      model: "m",
      messages: [{ role: "system", content: "A" }, user("1"), { role: "system", content: "B" }, { role: "assistant", content: "2" }, { role: "system", content: "  " }],
    });
    expect(body.system).to.equal("A\n\nB");
    expect(body.messages.map((m) => m.role)).to.deep.equal(["user", "assistant"]);
  });

  it("merges consecutive same-role messages, including tool results followed by user text", () => {
    const body = toAnthropicRequest({
      model: "m",
      messages: [
        user("a"),
        user("b"),
        { role: "assistant", content: null, tool_calls: [
          { id: "t1", type: "function", function: { name: "f", arguments: '{"x":1}' } },
          { id: "t2", type: "function", function: { name: "g", arguments: "" } },
        ] },
        { role: "tool", tool_call_id: "t1", content: "one" },
        { role: "tool", tool_call_id: "t2", content: "" },
        user("c"),
      ],
    });
    expect(body.messages).to.deep.equal([
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "assistant", content: [
        { type: "tool_use", id: "t1", name: "f", input: { x: 1 } },
        { type: "tool_use", id: "t2", name: "g", input: {} },
      ] },
      { role: "user", content: [
        { type: "tool_result", tool_use_id: "t1", content: "one" },
        { type: "tool_result", tool_use_id: "t2" },
        { type: "text", text: "c" },
      ] },
    ]);
  });

  it("drops empty text (the API rejects empty text blocks)", () => {
    const body = toAnthropicRequest({ model: "m", messages: [user("hi"), { role: "assistant", content: "" }, user("")] });
    expect(body.messages).to.deep.equal([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
    expect(() => toAnthropicRequest({ model: "m", messages: [{ role: "system", content: "only system" }] })).to.throw(/at least one/);
  });

  it("sends {} for tool-call arguments that are not a JSON object, with a warning", () => {
    const warnings: string[] = [];
    expect(parseArguments("not json", "t1", (m) => warnings.push(m))).to.deep.equal({});
    expect(parseArguments("[1,2]", "t2", (m) => warnings.push(m))).to.deep.equal({});
    expect(parseArguments('{"a":[1]}', "t3", (m) => warnings.push(m))).to.deep.equal({ a: [1] });
    expect(warnings).to.have.length(2);
  });

  it("maps image URLs: base64 data: URLs to base64 sources, http(s) to url sources", () => {
    expect(imageBlock("data:image/jpg;base64,/9j/4A A=")).to.deep.equal({ type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9j/4AA=" } });
    expect(imageBlock("DATA:image/webp;name=x.webp;base64,UklGR")).to.deep.equal({ type: "image", source: { type: "base64", media_type: "image/webp", data: "UklGR" } });
    expect(imageBlock("http://example.com/a.gif")).to.deep.equal({ type: "image", source: { type: "url", url: "http://example.com/a.gif" } });
    expect(codeOf(() => imageBlock("data:image/png,rawbytes"))).to.equal("plugin_invalid_arguments");
    expect(codeOf(() => imageBlock("data:image/svg+xml;base64,PHN2Zz4="))).to.equal("plugin_invalid_arguments");
    expect(codeOf(() => imageBlock("file:///etc/passwd"))).to.equal("plugin_invalid_arguments");
  });

  it("maps tools (adding type object when the schema has none) and tool_choice", () => {
    const params: ChatParams = {
      model: "m",
      messages: [user("x")],
      tools: [{ type: "function", function: { name: "noargs", parameters: { properties: {} } } }],
      tool_choice: "required",
    };
    const body = toAnthropicRequest(params);
    expect(body.tools).to.deep.equal([{ name: "noargs", input_schema: { type: "object", properties: {} } }]);
    expect(body.tool_choice).to.deep.equal({ type: "any" });
    expect(toToolChoice("auto")).to.deep.equal({ type: "auto" });
    expect(toToolChoice("none")).to.deep.equal({ type: "none" });
    expect(toToolChoice({ type: "function", function: { name: "f" } })).to.deep.equal({ type: "tool", name: "f" });
    expect(toToolChoice(undefined)).to.equal(undefined);
    // tool_choice without tools is not sent
    expect(toAnthropicRequest({ model: "m", messages: [user("x")], tool_choice: "auto" }).tool_choice).to.equal(undefined);
  });

  it("asks for JSON through the system prompt when response_format is JSON (best effort)", () => {
    expect(formatInstruction({ type: "text" })).to.equal(undefined);
    const body = toAnthropicRequest({ model: "m", messages: [{ role: "system", content: "S" }, user("x")], response_format: { type: "json_object" } });
    expect(body.system).to.match(/^S\n\nRespond with a single valid JSON object/);
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    expect(formatInstruction({ type: "json_schema", json_schema: { name: "s", schema } })).to.contain(JSON.stringify(schema));
  });

  it("rejects malformed messages as plugin_invalid_arguments", () => {
    expect(codeOf(() => toAnthropicRequest({ model: "m", messages: [{ role: "robot", content: "x" } as never] }))).to.equal("plugin_invalid_arguments");
    expect(codeOf(() => toAnthropicRequest({ model: "m", messages: [{ role: "tool", content: "x" } as never] }))).to.equal("plugin_invalid_arguments");
    expect(codeOf(() => toAnthropicRequest({ model: "", messages: [user("x")] }))).to.equal("plugin_invalid_arguments");
  });
});

describe("credentials", () => {
  it("normalises the base URL and builds the headers", () => {
    expect(endpointFor({ api_key: " k " })).to.deep.equal({
      baseUrl: "https://api.anthropic.com",
      headers: { "x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json" },
    });
    expect(endpointFor({ api_key: "k", base_url: "https://gw.example.com/anthropic/v1/" }).baseUrl).to.equal("https://gw.example.com/anthropic");
    expect(endpointFor({ api_key: "k", base_url: "" }).baseUrl).to.equal("https://api.anthropic.com");
  });

  it("rejects a missing key and a base URL that is not http(s)", () => {
    expect(codeOf(() => endpointFor({}))).to.equal("plugin_credentials_invalid");
    expect(codeOf(() => endpointFor(undefined))).to.equal("plugin_credentials_invalid");
    expect(codeOf(() => endpointFor({ api_key: "k", base_url: "ftp://x" }))).to.equal("plugin_credentials_invalid");
    expect(codeOf(() => endpointFor({ api_key: "k", base_url: "api.anthropic.com" }))).to.equal("plugin_credentials_invalid");
  });
});
