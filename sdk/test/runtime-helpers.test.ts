import { expect } from "chai";
import {
  collectChat,
  filter,
  isAsyncIterable,
  matchesFilter,
  toDocuments,
  type ChatChunk,
  type VectorPayload,
} from "../src/index.js";

async function* stream(chunks: ChatChunk[]): AsyncGenerator<ChatChunk> {
  yield* chunks;
}

describe("metadata filters", () => {
  const doc: VectorPayload = { lang: "en", year: 2021, tags: ["ai", "rag"], date: "2024-05-01", draft: false };

  it("builds filters as plain data", () => {
    expect(filter.and(filter.eq("a", 1), filter.in("b", ["x"]))).to.deep.equal({
      op: "and",
      filters: [
        { op: "eq", field: "a", value: 1 },
        { op: "in", field: "b", values: ["x"] },
      ],
    });
    expect(filter.range("y", { gte: 1, lt: 2 })).to.deep.equal({ op: "range", field: "y", gte: 1, lt: 2 });
  });

  it("matches eq and in against scalars and against any element of an array value", () => {
    expect(matchesFilter(doc, filter.eq("lang", "en"))).to.equal(true);
    expect(matchesFilter(doc, filter.eq("draft", false))).to.equal(true);
    expect(matchesFilter(doc, filter.eq("tags", "rag"))).to.equal(true);
    expect(matchesFilter(doc, filter.in("lang", ["de", "fr"]))).to.equal(false);
    expect(matchesFilter(doc, filter.eq("missing", "x"))).to.equal(false);
  });

  it("matches numeric and ISO-date ranges with inclusive and exclusive bounds", () => {
    expect(matchesFilter(doc, filter.range("year", { gte: 2021, lt: 2022 }))).to.equal(true);
    expect(matchesFilter(doc, filter.range("year", { gt: 2021 }))).to.equal(false);
    expect(matchesFilter(doc, filter.range("date", { gte: "2024-01-01", lte: "2024-12-31" }))).to.equal(true);
    expect(matchesFilter(doc, filter.range("year", { gte: "2020" }))).to.equal(false);
  });

  it("combines conditions with and / or, where empty and matches all and empty or matches none", () => {
    expect(matchesFilter(doc, filter.and(filter.eq("lang", "en"), filter.range("year", { lt: 2000 })))).to.equal(false);
    expect(matchesFilter(doc, filter.or(filter.eq("lang", "de"), filter.eq("tags", "ai")))).to.equal(true);
    expect(matchesFilter(doc, filter.and())).to.equal(true);
    expect(matchesFilter(doc, filter.or())).to.equal(false);
  });
});

describe("collectChat", () => {
  it("joins text and reasoning deltas and keeps the last usage and finish reason", async () => {
    const completion = await collectChat(
      stream([
        { delta: { reasoning_content: "think" } },
        { delta: { content: "Hel" } },
        { delta: { content: "lo" }, finish_reason: "stop" },
        { delta: {}, usage: { prompt_tokens: 3, completion_tokens: 2 } },
      ]),
    );
    expect(completion).to.deep.equal({
      message: { role: "assistant", content: "Hello" },
      reasoning_content: "think",
      finish_reason: "stop",
      usage: { prompt_tokens: 3, completion_tokens: 2 },
    });
  });

  it("merges streamed tool-call deltas by index", async () => {
    const completion = await collectChat(
      stream([
        { delta: { tool_calls: [{ index: 1, id: "b", type: "function", function: { name: "second", arguments: "{}" } }] } },
        { delta: { tool_calls: [{ index: 0, id: "a", type: "function", function: { name: "first", arguments: '{"q":' } }] } },
        { delta: { tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }, finish_reason: "tool_calls" },
      ]),
    );
    expect(completion.message).to.deep.equal({
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "a", type: "function", function: { name: "first", arguments: '{"q":"x"}' } },
        { id: "b", type: "function", function: { name: "second", arguments: "{}" } },
      ],
    });
    expect(completion.finish_reason).to.equal("tool_calls");
  });
});

describe("small runtime helpers", () => {
  it("tells async iterables (streaming returns) apart from plain results and promises", () => {
    expect(isAsyncIterable(stream([]))).to.equal(true);
    expect(isAsyncIterable(Promise.resolve({ outputs: {} }))).to.equal(false);
    expect(isAsyncIterable({ outputs: {} })).to.equal(false);
    expect(isAsyncIterable(null)).to.equal(false);
  });

  it("normalises a loader result to a list of documents", () => {
    const one = { text: "a", metadata: {} };
    expect(toDocuments(one)).to.deep.equal([one]);
    expect(toDocuments([one, one])).to.have.length(2);
  });
});
