import type { Context } from 'koa';
import { InputError, TesseraError } from '../errors.js';
import type { ConnectionTracker } from '../http/connections.js';
import { openSse } from '../http/sse.js';
import type { Generator, Prepared } from '../chat/generate.js';
import type { AppEvent } from '../chat/turn.js';

export type ResponseMode = 'blocking' | 'streaming';

export function responseMode(value: unknown): ResponseMode {
  if (value === undefined || value === null || value === '') return 'blocking';
  if (value !== 'blocking' && value !== 'streaming') throw new InputError('response_mode must be "blocking" or "streaming".', 'response_mode');
  return value;
}

/** What a blocking call answers: the stream's events folded into one message. */
export async function collect(events: AsyncIterable<AppEvent>, mode: string): Promise<Record<string, unknown>> {
  let answer = '';
  let end: AppEvent | undefined;
  for await (const event of events) {
    if (event.event === 'message' || event.event === 'agent_message') answer += String(event.answer ?? '');
    else if (event.event === 'message_replace') answer = String(event.answer ?? '');
    else if (event.event === 'message_end') end = event;
    else if (event.event === 'error') throw new TesseraError(Number(event.status) || 500, String(event.code), String(event.message));
  }
  if (!end) throw new TesseraError(500, 'internal_server_error', 'The generation ended without an answer.');
  return {
    event: 'message',
    task_id: end.task_id,
    id: end.id,
    message_id: end.message_id,
    ...(end.conversation_id !== undefined ? { conversation_id: end.conversation_id } : {}),
    mode,
    answer,
    metadata: end.metadata,
    created_at: end.created_at,
  };
}

/**
 * Answers a prepared generation in the requested mode: one JSON body, or SSE
 * (`data: {json}` events with `event: ping` keep-alives). A client that goes
 * away aborts the generation and its upstream model request.
 */
export async function respond(ctx: Context, generator: Generator, prepared: Prepared, mode: ResponseMode, tracker: ConnectionTracker, release: () => void): Promise<void> {
  if (mode === 'blocking') {
    const controller = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected'));
    };
    ctx.res.once('close', onClose);
    try {
      ctx.body = await collect(generator.run(prepared, controller.signal), prepared.runnable.app.mode);
    } finally {
      ctx.res.off('close', onClose);
      release();
    }
    return;
  }
  const sse = openSse(ctx, tracker);
  void (async () => {
    try {
      for await (const event of generator.run(prepared, sse.signal)) {
        if (sse.closed) continue;
        sse.send(event);
      }
    } catch (error) {
      sse.send({ event: 'error', task_id: prepared.taskId, message_id: prepared.messageId, status: 500, code: 'internal_server_error', message: (error as Error).message });
    } finally {
      release();
      sse.close();
    }
  })();
}
