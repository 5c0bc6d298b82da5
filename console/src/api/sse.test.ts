import { expect } from 'chai';
import { parseFrame, readSse } from './sse.js';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('readSse (the preview chat’s SSE reader)', () => {
  it('yields message events with answer deltas, then message_end, skipping event: ping', async () => {
    const body = streamOf(
      'data: {"event": "message", "answer": "Hel", "task_id": "t1"}\n\n',
      'event: ping\n\n',
      'data: {"event": "message", "ans',
      'wer": "lo"}\n\ndata: {"event": "message_end", "metadata": {"usage": {"total_tokens": 3}}}\n\n',
    );
    const events = [];
    for await (const e of readSse(body)) events.push(e);
    expect(events.map((e) => e.event)).to.deep.equal(['message', 'message', 'message_end']);
    expect(events.map((e) => e.data.answer).join('')).to.equal('Hello');
  });

  it('reads CRLF framing, named events and a last frame without a blank line', async () => {
    const events = [];
    for await (const e of readSse(streamOf('event: error\r\ndata: {"code": "x", "message": "boom"}\r\n\r\n', 'data: {"event": "agent_thought", "thought": "hm"}'))) events.push(e);
    expect(events).to.deep.equal([
      { event: 'error', data: { code: 'x', message: 'boom' } },
      { event: 'agent_thought', data: { event: 'agent_thought', thought: 'hm' } },
    ]);
  });

  it('ignores comments and [DONE], and keeps non-JSON data as text', () => {
    expect(parseFrame(': keep-alive')).to.equal(undefined);
    expect(parseFrame('data: [DONE]')).to.equal(undefined);
    expect(parseFrame('data: plain')).to.deep.equal({ event: 'message', data: { text: 'plain' } });
  });
});
