import { expect } from "chai";
import { SseParser, type SseEvent } from "../src/sse.js";

// The parser on its own (plain Node): every way a stream can be split into
// network chunks must give the same events.

const encode = (text: string) => new TextEncoder().encode(text);

function parse(parts: readonly Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const part of parts) events.push(...parser.push(part));
  events.push(...parser.end());
  return events;
}

describe("SseParser", () => {
  const stream = '\uFEFF: keep-alive\r\n\r\nevent: message\r\ndata: {"t":"héllo 👋"}\r\n\r\ndata: line one\ndata: line two\n\n: ping\rdata: cr-only\r\rdata: [DONE]\n\n';
  const expected: SseEvent[] = [
    { event: "message", data: '{"t":"héllo 👋"}' },
    { event: "", data: "line one\nline two" },
    { event: "", data: "cr-only" },
    { event: "", data: "[DONE]" },
  ];

  it("parses BOM, comments, event names, CRLF/LF/CR endings and multi-line data", () => {
    expect(parse([encode(stream)])).to.deep.equal(expected);
  });

  it("gives the same events for every split of the bytes into two chunks (inside CRLFs and UTF-8 characters too)", () => {
    const bytes = encode(stream);
    for (let at = 0; at <= bytes.length; at++) {
      expect(parse([bytes.subarray(0, at), bytes.subarray(at)]), `split at byte ${at}`).to.deep.equal(expected);
    }
  });

  it("gives the same events when fed one byte at a time", () => {
    const bytes = encode(stream);
    expect(parse(Array.from(bytes, (b) => Uint8Array.of(b)))).to.deep.equal(expected);
  });

  it("dispatches a final event whose last line ended without the blank line, but drops one cut mid-line", () => {
    expect(parse([encode("data: complete\n")])).to.deep.equal([{ event: "", data: "complete" }]);
    expect(parse([encode("data: {\"cho")])).to.deep.equal([]);
  });

  it("ignores data-less events, id and retry fields, and takes `data` without a colon as an empty line", () => {
    expect(parse([encode("event: x\n\nid: 7\nretry: 10\ndata\n\n")])).to.deep.equal([{ event: "", data: "" }]);
  });
});
