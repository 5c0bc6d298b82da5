import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { ConnectionTracker } from './connections.js';
import { TesseraError } from '../errors.js';

/** An open `text/event-stream` response. */
export interface SseStream {
  /** Writes one `data: {json}\n\n` event (the Service API's framing). */
  send(data: object): boolean;
  /** Writes a frame exactly as given (another framing, e.g. OpenAI's `data: [DONE]`). */
  write(frame: string): boolean;
  /** Ends the stream; idempotent. */
  close(): void;
  /** Aborted when the client disconnects or the server shuts down. */
  readonly signal: AbortSignal;
  readonly closed: boolean;
}

/** How long a stream ended by the shutdown deadline may take to send its last event (the drain waits this long at most). */
export const SHUTDOWN_GRACE_MS = 750;

/** The reason a stream's signal carries when the shutdown deadline passes: producers end with it as their last event. */
export function shuttingDown(): TesseraError {
  return new TesseraError(503, 'server_shutting_down', 'server shutting down');
}

const PING_FRAME = 'event: ping\n\n';

/**
 * Switches `ctx` to an SSE response. Keep-alive pings (`event: ping`, no data,
 * unless another `pingFrame` is given) go out every `pingMs`. The stream's
 * signal aborts on client disconnect and on shutdown, so producers (model
 * calls) can stop upstream work.
 */
export function openSse(ctx: Context, tracker: ConnectionTracker, pingMs = 10_000, pingFrame = PING_FRAME): SseStream {
  const body = new PassThrough();
  const controller = new AbortController();
  let closed = false;
  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  ctx.status = 200;
  ctx.body = body;

  const ping = setInterval(() => {
    if (!closed) body.write(pingFrame);
  }, pingMs);
  ping.unref();

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    untrack();
    body.end();
  };
  const untrack = tracker.trackStream(() => {
    // #14: the producer gets a moment to store its partial answer and send its final event, then the stream is cut.
    controller.abort(shuttingDown());
    setTimeout(close, SHUTDOWN_GRACE_MS).unref();
  });
  ctx.res.on('close', () => {
    if (!closed) controller.abort(new Error('client disconnected'));
    close();
  });

  return {
    send(data) {
      if (closed) return false;
      return body.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    write(frame) {
      if (closed) return false;
      return body.write(frame);
    },
    close,
    signal: controller.signal,
    get closed() {
      return closed;
    },
  };
}
