/**
 * A server-sent-events parser (the WHATWG `text/event-stream` format) for a
 * byte stream that may be split at any position: inside a line, between a CR
 * and its LF, or inside a multi-byte UTF-8 character.
 *
 * @module
 */

import { PluginError, type AbortSignalLike } from "@tessera/sdk";

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field; `"message"` when the event had none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The `id:` field, when given. */
  readonly id?: string;
}

/**
 * Incremental parser: feed it text with {@link SseParser.push}, collect the
 * events each call completes. Lines end with CRLF, LF or CR; lines starting
 * with `:` are comments; an event is dispatched at a blank line, and one
 * without `data:` lines is ignored (per the spec).
 */
export class SseParser {
  private buffer = "";
  /** The previous chunk ended with CR: a LF starting the next one belongs to it. */
  private skipLf = false;
  private event = "";
  private data: string[] = [];
  private id: string | undefined;

  /** Parses `text` and returns the events it completed. */
  push(text: string): ServerSentEvent[] {
    if (text === "") return [];
    if (this.skipLf && text.startsWith("\n")) text = text.slice(1);
    this.skipLf = false;
    this.buffer += text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf("\r", start);
      const lf = this.buffer.indexOf("\n", start);
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < this.buffer.length) next = this.buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
        else {
          // A CR at the very end: the line is complete, but a LF may follow in the next chunk.
          next = cr + 1;
          this.skipLf = true;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      const event = this.line(this.buffer.slice(start, end));
      if (event) events.push(event);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
    // "retry" and unknown fields are ignored.
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const event = this.event;
    const data = this.data;
    this.event = "";
    this.data = [];
    if (data.length === 0) return undefined;
    return { event: event === "" ? "message" : event, data: data.join("\n"), ...(this.id !== undefined ? { id: this.id } : {}) };
  }
}

/**
 * Reads `body` chunk by chunk, stopping with `plugin_cancelled` as soon as
 * `signal` aborts (without waiting for the next chunk to arrive). Leaving the
 * loop early releases the body, which closes the connection.
 */
export async function* abortable(body: AsyncIterable<Uint8Array>, signal: AbortSignalLike | undefined): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new PluginError("plugin_cancelled", "the chat was cancelled"));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      if (signal?.aborted) throw new PluginError("plugin_cancelled", "the chat was cancelled");
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done) return;
      yield step.value;
    }
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    // Not awaited: with a read still pending, return() would wait for it.
    void iterator.return?.()?.catch?.(() => undefined);
  }
}

/**
 * Decodes a byte stream as UTF-8 and yields its server-sent events as they
 * complete. An unfinished event at the end of the stream is dropped (as the
 * spec requires); callers detect a cut stream by the events they did not see.
 */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array>, signal?: AbortSignalLike): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  let first = true;
  for await (const bytes of abortable(body, signal)) {
    let text = decoder.decode(bytes, { stream: true });
    if (first && text !== "") {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    yield* parser.push(text);
  }
  const rest = decoder.decode();
  if (rest !== "") yield* parser.push(rest);
}
