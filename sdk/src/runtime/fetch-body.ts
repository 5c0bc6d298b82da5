/**
 * Turns a `node:http` response into the guarded fetch's streaming body:
 * decoded (gzip/deflate/br), size-limited, cancellable, and yielding chunks as
 * they arrive so that server-sent events reach the plugin without buffering.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { pipeline, type Readable, type Transform } from "node:stream";
import zlib from "node:zlib";
import { FetchResponseTooLargeError } from "./fetch-errors.js";

/** The streaming body plus a way to release the connection without reading it. */
export interface ResponseBody {
  body: AsyncIterable<Uint8Array>;
  /** Destroys the connection; a pending or later iteration ends with `reason`. */
  cancel(reason?: unknown): void;
}

const DECODERS: Record<string, () => Transform> = {
  // Sync flush at the end tolerates servers that truncate the final block, as browsers do.
  gzip: () => zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  "x-gzip": () => zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  deflate: () => zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH }),
  br: () => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }),
};

/**
 * Returns the decoders for a `Content-Encoding` value in the order they must be
 * applied, or `undefined` when some coding is unknown (the body is then passed
 * through undecoded and the header kept, so the plugin can tell).
 */
export function decodersFor(contentEncoding: string | undefined): (() => Transform)[] | undefined {
  if (!contentEncoding) return [];
  const codings = contentEncoding
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  const decoders: (() => Transform)[] = [];
  for (const coding of codings.reverse()) {
    const make = DECODERS[coding];
    if (!make) return undefined;
    decoders.push(make);
  }
  return decoders;
}

/**
 * Wraps `res` as a streaming body.
 *
 * @param res - The response, not yet read.
 * @param decoders - From {@link decodersFor}.
 * @param options.maxBytes - Limit on decoded bytes (guards against decompression bombs too).
 * @param options.signal - Aborting it destroys the socket mid-stream.
 * @param options.url - For error messages.
 * @param options.onDone - Called once when the body is finished, failed or cancelled.
 */
export function streamBody(
  res: IncomingMessage,
  decoders: (() => Transform)[],
  options: { maxBytes: number; signal?: AbortSignal | undefined; url: string; onDone?: () => void },
): ResponseBody {
  const { maxBytes, signal, url } = options;
  let out: Readable = res;
  if (decoders.length > 0) {
    const streams = decoders.map((make) => make());
    // pipeline tears every stage down when one fails; the error surfaces on `out`.
    out = pipeline([res, ...streams], () => undefined) as unknown as Readable;
  }
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    signal?.removeEventListener("abort", onAbort);
    options.onDone?.();
  };
  const cancel = (reason?: unknown): void => {
    const error = reason ?? new DOMException("The response body was cancelled", "AbortError");
    // Destroying the response destroys its socket (never returned to the pool), so the server sees the close.
    res.destroy(error instanceof Error ? error : undefined);
    out.destroy(error instanceof Error ? error : new Error(String(error)));
    finish();
  };
  function onAbort(): void {
    cancel(signal?.reason);
  }
  signal?.addEventListener("abort", onAbort, { once: true });

  async function* iterate(): AsyncGenerator<Uint8Array> {
    let total = 0;
    try {
      if (signal?.aborted) throw signal.reason;
      for await (const chunk of out as AsyncIterable<Buffer>) {
        total += chunk.byteLength;
        if (total > maxBytes) throw new FetchResponseTooLargeError(url, maxBytes);
        // Copy: Buffers may be slices of a shared pool, and handing their
        // ArrayBuffer across the isolate boundary would expose unrelated memory.
        yield new Uint8Array(chunk);
      }
      // A stream destroyed with a non-Error reason ends silently; rethrow the abort reason.
      if (signal?.aborted) throw signal.reason;
    } finally {
      if (res.complete && !signal?.aborted) {
        // Everything arrived (a reader that stopped at `[DONE]`, say): drain what is buffered so the
        // keep-alive socket goes back to its pool instead of being closed.
        out.resume();
      } else if (!out.readableEnded) {
        res.destroy();
        out.destroy();
      }
      finish();
    }
  }
  return { body: iterate(), cancel };
}
