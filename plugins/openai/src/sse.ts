/**
 * A server-sent-events reader that follows the WHATWG event-stream rules:
 * LF, CRLF or CR line endings (also when a CRLF is split between two network
 * chunks), `:` comment lines, multi-line `data:` fields joined with `\n`,
 * `event:` names, an optional leading BOM, and UTF-8 decoded across chunk
 * boundaries (a character split between two chunks is not corrupted).
 *
 * @module
 */

import { PluginError, type AbortSignalLike } from "@tessera/sdk";
import { aborted, cancelledError, isCancellation } from "./errors.js";

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field; `""` when absent (the default "message" type). */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

/** A line longer than this (in UTF-16 units) is treated as a broken upstream. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Incremental parser: feed it bytes as they arrive, get complete events back.
 *
 * At the end of the stream ({@link SseParser.end}) an event whose last line
 * was complete is dispatched even without the closing blank line (some
 * servers omit it), but an event cut off in the middle of a line is dropped:
 * it is a truncated stream, not a short event.
 */
export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private started = false;

  /** Parses the next bytes of the stream. */
  push(bytes: Uint8Array): SseEvent[] {
    return this.feed(this.decoder.decode(bytes, { stream: true }), false);
  }

  /** Ends the stream, returning any event it completes. */
  end(): SseEvent[] {
    const events = this.feed(this.decoder.decode(), true);
    if (this.buffer === "" && this.data.length > 0) events.push(this.take());
    this.data = [];
    this.buffer = "";
    return events;
  }

  private feed(text: string, final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    let buffer = this.buffer + text;
    if (!this.started && buffer.length > 0) {
      this.started = true;
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
    }
    let start = 0;
    const eol = /[\r\n]/g;
    for (;;) {
      eol.lastIndex = start;
      const found = eol.exec(buffer);
      if (!found) break;
      const at = found.index;
      const cr = buffer.charCodeAt(at) === 13;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (cr && at === buffer.length - 1 && !final) break;
      const line = buffer.slice(start, at);
      start = at + (cr && buffer.charCodeAt(at + 1) === 10 ? 2 : 1);
      this.line(line, events);
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
    if (this.buffer.length > MAX_LINE_CHARS) {
      throw new PluginError("plugin_upstream_error", `the event stream has a line longer than ${MAX_LINE_CHARS} characters`);
    }
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push(this.take());
      this.event = "";
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return; // comment, e.g. ": ping" or ": OPENROUTER PROCESSING"
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    // `id` and `retry` only matter for reconnecting, which a chat stream must not do.
  }

  private take(): SseEvent {
    const event = { event: this.event, data: this.data.join("\n") };
    this.data = [];
    this.event = "";
    return event;
  }
}

/**
 * Yields the events of a streaming body as their bytes arrive.
 *
 * Stops reading (and releases the connection) when any of `signals` aborts,
 * throwing `plugin_cancelled`. A connection that breaks mid-stream throws
 * `plugin_upstream_error` ("stream ended early").
 *
 * @param body - The response body.
 * @param signals - Cancellation signals (the invocation's and the request's).
 * @param host - Names the upstream in messages.
 */
export async function* sseEvents(
  body: AsyncIterable<Uint8Array>,
  signals: readonly (AbortSignalLike | undefined)[],
  host: string,
): AsyncGenerator<SseEvent, void, undefined> {
  const parser = new SseParser();
  const iterator = body[Symbol.asyncIterator]();
  let inFlight = false;
  let finished = false;
  try {
    for (;;) {
      if (aborted(signals)) throw cancelledError("the chat");
      let step: IteratorResult<Uint8Array>;
      const next = iterator.next();
      inFlight = true;
      next.then(
        () => (inFlight = false),
        () => (inFlight = false),
      );
      try {
        step = await untilAborted(next, signals);
      } catch (error) {
        if (isCancellation(error) || aborted(signals)) throw cancelledError("the chat");
        const reason = String((error as { message?: unknown })?.message ?? error).replace(/^plugin [^:]*: /, "");
        throw new PluginError("plugin_upstream_error", `${host}: stream ended early (the connection broke: ${reason})`, { cause: error });
      }
      if (step.done) {
        finished = true;
        yield* parser.end();
        return;
      }
      yield* parser.push(step.value);
    }
  } finally {
    if (!finished) {
      // Releases the connection (the server sees it close). A read still in
      // flight (only after an abort) is not waited for: the host cancels it.
      const closing = Promise.resolve(iterator.return?.()).catch(() => undefined);
      if (!inFlight) await closing;
    }
  }
}

/** Resolves or rejects like `promise`, unless a signal aborts first (then rejects with `plugin_cancelled`). */
export function untilAborted<T>(promise: Promise<T>, signals: readonly (AbortSignalLike | undefined)[]): Promise<T> {
  const live = signals.filter((s): s is AbortSignalLike => s !== undefined);
  if (live.length === 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      reject(cancelledError("the chat"));
    };
    const cleanup = (): void => live.forEach((s) => s.removeEventListener("abort", onAbort));
    live.forEach((s) => s.addEventListener("abort", onAbort, { once: true }));
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
