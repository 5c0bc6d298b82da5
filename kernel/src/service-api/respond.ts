import type { Context } from 'koa';
import { InputError, TesseraError } from '../errors.js';
import type { ConnectionTracker } from '../http/connections.js';
import { openSse } from '../http/sse.js';
import { isAnswerDelta, type MessageEndEvent, type RunEvent } from '../runs/run-events.js';
import type { StartedRun } from '../runs/start-run.js';
import type { RunRequest } from '../runs/runner.js';

export type ResponseMode = 'blocking' | 'streaming';

export function responseMode(value: unknown): ResponseMode {
  if (value === undefined || value === null || value === '') return 'blocking';
  if (value !== 'blocking' && value !== 'streaming') throw new InputError('response_mode must be "blocking" or "streaming".', 'response_mode');
  return value;
}

/** A chat or completion message request in Dify's body shape (Service API and console preview alike). */
export function messageRequest(input: Record<string, unknown>, endpoint: 'chat' | 'completion', source: 'api' | 'console'): Omit<RunRequest, 'owner'> {
  return {
    endpoint,
    query: typeof input.query === 'string' ? input.query : '',
    inputs: input.inputs,
    conversationId: typeof input.conversation_id === 'string' && input.conversation_id !== '' ? input.conversation_id : undefined,
    files: input.files,
    autoGenerateName: input.auto_generate_name !== false,
    source,
    blocking: responseMode(input.response_mode) === 'blocking',
  };
}

/** What a blocking call answers: the stream's events folded into one message. */
export async function collect(events: AsyncIterable<RunEvent>, mode: string): Promise<Record<string, unknown>> {
  let answer = '';
  let end: MessageEndEvent | undefined;
  for await (const event of events) {
    if (isAnswerDelta(event)) answer += event.answer;
    else if (event.event === 'message_replace') answer = event.answer;
    else if (event.event === 'message_end') end = event;
    else if (event.event === 'error') throw new TesseraError(event.status || 500, event.code, event.message);
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
 * Answers a started run in Dify's shape and the requested mode: one JSON body,
 * or SSE (`data: {json}` events with `event: ping` keep-alives). A client that
 * goes away aborts the run and its upstream model request.
 */
export async function respond(ctx: Context, run: StartedRun, mode: ResponseMode, tracker: ConnectionTracker): Promise<void> {
  const { prepared } = run;
  if (mode === 'blocking') {
    const controller = new AbortController();
    const onClose = () => {
      if (!ctx.res.writableFinished) controller.abort(new Error('client disconnected'));
    };
    ctx.res.once('close', onClose);
    try {
      ctx.body = await collect(run.events(controller.signal), prepared.runnable.app.mode);
    } finally {
      ctx.res.off('close', onClose);
      run.release();
    }
    return;
  }
  const sse = openSse(ctx, tracker);
  void (async () => {
    try {
      for await (const event of run.events(sse.signal)) {
        if (sse.closed) continue;
        sse.send(event);
      }
    } catch (error) {
      // #14: a coded, human message to the client; the driver's words (e.g. `read ECONNRESET`, a database name) to the log only.
      ctx.app.emit('error', error, ctx);
      const coded = error instanceof TesseraError && error.status < 500 ? error : new TesseraError(500, 'internal_server_error', 'The server encountered an internal error.');
      sse.send({ event: 'error', task_id: prepared.taskId, message_id: prepared.messageId, status: coded.status, code: coded.code, message: coded.message });
    } finally {
      run.release();
      sse.close();
    }
  })();
}
