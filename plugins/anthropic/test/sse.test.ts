import { expect } from "chai";
import { SseParser, serverSentEvents, type ServerSentEvent } from "../src/sse.js";

const encoder = new TextEncoder();

async function* bytesOf(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function eventsOf(parts: readonly Uint8Array[]): Promise<ServerSentEvent[]> {
  const out: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(bytesOf(parts))) out.push(event);
  return out;
}

describe("server-sent events", () => {
  const wire = "event: a\ndata: {\"x\":\"é世🙂\"}\n\n: comment\nevent: b\r\ndata: line1\r\ndata: line2\r\n\r\ndata: no event name\r\r";
  const expected: ServerSentEvent[] = [
    { event: "a", data: '{"x":"é世🙂"}' },
    { event: "b", data: "line1\nline2" },
    { event: "message", data: "no event name" },
  ];

  it("parses LF, CRLF and CR line ends, comments, multi-line data and unnamed events", async () => {
    expect(await eventsOf([encoder.encode(wire)])).to.deep.equal(expected);
  });

  it("gives the same events for every split of the bytes into two and into single bytes", async () => {
    const bytes = encoder.encode(wire);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await eventsOf([bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).to.deep.equal(expected);
    }
    expect(await eventsOf([...bytes].map((b) => Uint8Array.of(b)))).to.deep.equal(expected);
  });

  it("does not split a CRLF pair across chunks into two line ends", () => {
    const parser = new SseParser();
    expect(parser.push("data: x\r")).to.deep.equal([]);
    expect(parser.push("\n")).to.deep.equal([]);
    expect(parser.push("\r\n")).to.deep.equal([{ event: "message", data: "x" }]);
  });

  it("strips one leading space from values, keeps the rest, and handles fields without a colon", () => {
    const parser = new SseParser();
    expect(parser.push("data:  two spaces\ndata\nid: 7\nretry: 100\n\n")).to.deep.equal([{ event: "message", data: " two spaces\n", id: "7" }]);
  });

  it("ignores events without data and drops an unfinished event at the end", async () => {
    expect(await eventsOf([encoder.encode("event: ping\n\ndata: done\n\ndata: unfinished")])).to.deep.equal([{ event: "message", data: "done" }]);
  });

  it("skips a byte-order mark", async () => {
    expect(await eventsOf([Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), encoder.encode("data: 1\n\n")])).to.deep.equal([{ event: "message", data: "1" }]);
  });

  it("stops with plugin_cancelled as soon as the signal aborts, without waiting for the next chunk", async () => {
    const controller = new AbortController();
    let returned = false;
    const body: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let first = true;
        return {
          next: () => {
            if (first) {
              first = false;
              return Promise.resolve({ done: false, value: encoder.encode("data: 1\n\n") });
            }
            return new Promise<IteratorResult<Uint8Array>>(() => undefined); // never arrives
          },
          return: () => {
            returned = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
    const seen: string[] = [];
    let failure: { code?: string } | undefined;
    try {
      for await (const event of serverSentEvents(body, controller.signal)) {
        seen.push(event.data);
        setTimeout(() => controller.abort(), 5);
      }
    } catch (error) {
      failure = error as { code?: string };
    }
    expect(seen).to.deep.equal(["1"]);
    expect(failure?.code).to.equal("plugin_cancelled");
    expect(returned).to.equal(true);
  });
});
