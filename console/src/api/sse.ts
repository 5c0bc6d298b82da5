/** One Server-Sent Event frame: its `event:` name (if any) and its `data:` parsed as JSON. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads a `text/event-stream` body. Frames end with a blank line; `event: ping`
 * keep-alives and comment lines are skipped; each `data:` payload is JSON
 * (the Service API puts the event name inside it: `{"event": "message", …}`).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      // One pass over the chunk: frames are cut by index and the rest is kept once (issue #14:
      // slicing the remainder after each frame was quadratic in a chunk's frame count).
      let start = 0;
      const boundary = /\r?\n\r?\n/g;
      for (let match = boundary.exec(buffer); match; match = boundary.exec(buffer)) {
        const event = parseFrame(buffer.slice(start, match.index));
        start = match.index + match[0].length;
        if (event) yield event;
      }
      buffer = buffer.slice(start);
    }
    const last = parseFrame(buffer);
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

export function parseFrame(frame: string): SseEvent | undefined {
  let name = '';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (name === 'ping' || data.length === 0) return undefined;
  const text = data.join('\n');
  if (text === '[DONE]') return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return { event: name || String(parsed.event ?? 'message'), data: parsed };
  } catch {
    return { event: name || 'message', data: { text } };
  }
}
