/**
 * The calls in flight. Every task that enters an isolate starts in
 * `__tessera_dispatch` or `__tessera_deliver`, and each names the call it
 * belongs to: `currentCall` ('' while loading). Timers and host operations
 * started during a task belong to that call.
 */
import type { AbortSignalImpl } from './signals.js';

/** One batch of stream items, as it crosses the bridge. */
export interface Batch {
  done: boolean;
  values: unknown[];
  /** Set on a batch that may be split: takes back the values that did not fit (see answer.ts). */
  readonly putBack?: (rest: unknown[]) => void;
}

/** A stream the plugin returned, read a batch at a time. */
export interface IteratorEntry {
  readonly iterator: AsyncIterator<unknown>;
  readonly callId: string;
  /** A `next()` already asked for, not yet answered. */
  pending?: Promise<IteratorResult<unknown>> | undefined;
  /** What a split batch put back: it goes out next. */
  buffered?: Batch | undefined;
}

/** The call the running task belongs to. */
export let currentCall = '';
/** Marks the task that starts now as belonging to `callId`. */
export function enterCall(callId: string): void { currentCall = callId; }

/** The open calls: callId -> its signal. */
export const calls = new Map<string, AbortSignalImpl>();
/** The open streams: iteratorId -> its entry. */
export const iterators = new Map<number, IteratorEntry>();
/** Timers waiting, per call (see timers.ts). */
export const timersOf = new Map<string, number>();
