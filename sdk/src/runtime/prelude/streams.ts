/**
 * Streams a plugin returns (an async iterable): read a batch at a time, one
 * bridge crossing per batch. A batch too large for one answer is split by
 * finish (answer.ts): what did not fit is put back and goes out next.
 */
import { calls, iterators, type Batch, type IteratorEntry } from './calls.js';
import { forgetOps } from './ops.js';

const NOT_YET = Symbol('not yet');
// Resolves after a few microtask turns: long enough for a parser to hand over an item it already has.
function soon(): Promise<typeof NOT_YET> { let p = Promise.resolve(); for (let i = 0; i < 16; i++) p = p.then(() => {}); return p.then(() => NOT_YET); }

/** Whether `v` is an async iterable (a stream to answer batch by batch). */
export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> { return v != null && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'; }

/** The next batch of stream `iteratorId`: what was put back first, else newly taken items. */
export async function nextBatch(iteratorId: number): Promise<Batch> {
  const entry = iterators.get(iteratorId);
  if (entry && entry.buffered) { const b = entry.buffered; entry.buffered = undefined; if (b.done) iterators.delete(iteratorId); return splittable(iteratorId, entry, b); }
  return splittable(iteratorId, entry, await takeBatch(iteratorId));
}
function splittable(iteratorId: number, entry: IteratorEntry | undefined, batch: Batch): Batch {
  if (entry && batch.values.length > 1) Object.defineProperty(batch, 'putBack', { value: (rest: unknown[]) => {
    const cur = iterators.get(iteratorId) || entry;
    const prev = cur.buffered || { done: batch.done, values: [] };
    iterators.set(iteratorId, { ...cur, buffered: { done: prev.done, values: rest.concat(prev.values) } });
    batch.done = false;
  } });
  return batch;
}

async function takeBatch(iteratorId: number): Promise<Batch> {
  const entry = iterators.get(iteratorId);
  if (!entry) return { done: true, values: [] };
  const values: unknown[] = [];
  try {
    // The first item is awaited; further ones are taken only while they resolve within a few microtask
    // turns (already buffered), never waiting on the host: one bridge crossing carries a whole batch.
    let pending = entry.pending || entry.iterator.next();
    entry.pending = undefined;
    let r = await pending;
    for (;;) {
      if (r.done) { iterators.delete(iteratorId); calls.delete(entry.callId); forgetOps(entry.callId); return { done: true, values }; }
      values.push(r.value === undefined ? null : r.value);
      if (values.length >= 256) return { done: false, values };
      pending = entry.iterator.next();
      const ready = await Promise.race([pending, soon()]);
      if (ready === NOT_YET) { entry.pending = pending; return { done: false, values }; }
      r = ready;
    }
  } catch (e) {
    iterators.delete(iteratorId); calls.delete(entry.callId); forgetOps(entry.callId);
    // Items already taken go out first; the error comes with the next request.
    if (values.length) { const failed = Promise.reject(e); failed.catch(() => {}); iterators.set(iteratorId, { ...entry, pending: failed }); return { done: false, values }; }
    throw e;
  }
}
