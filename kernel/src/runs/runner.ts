import { TesseraError } from '../errors.js';
import type { AppMode, RunnableApp } from '../apps/apps.js';
import type { Owner } from '../conversations/conversations.js';
import type { RunEvent } from './run-events.js';

/** One exchange of a conversation, as memory holds it. */
export interface HistoryTurn {
  readonly query: string;
  readonly answer: string;
}

/** What an adapter (Service API, OpenAI-compatible API, console preview) asks a run for. */
export interface RunRequest {
  /** Which endpoint was called: the runner checks it against the app's mode. */
  readonly endpoint: 'chat' | 'completion';
  readonly query: string;
  readonly inputs: unknown;
  readonly conversationId?: string | undefined;
  readonly files?: unknown;
  readonly autoGenerateName: boolean;
  readonly owner: Owner;
  /** `from_source` of what is stored: `api` (Service API, OpenAI API) or `console` (preview). */
  readonly source: 'api' | 'console';
  /**
   * The whole history, oldest first, instead of stored memory (the OpenAI-compatible
   * API sends it itself); the runner holds it to the app's memory budget.
   */
  readonly history?: readonly HistoryTurn[];
  /** A client's own system message (OpenAI-compatible API): moderated, then appended to the app's prompt. */
  readonly systemPrompt?: string;
  /**
   * The client waits for the whole answer (blocking mode). Its message is then
   * written once, at the end, unless it runs past the first checkpoint: a
   * client that has seen no message id loses nothing to a crash before that.
   */
  readonly blocking?: boolean;
}

/** A checked request: errors found while preparing are plain JSON errors, before any stream starts. */
export interface PreparedRun {
  /** The app as it runs (a runner may derive it, e.g. with the client's system prompt merged). */
  readonly runnable: RunnableApp;
  readonly request: RunRequest;
  readonly taskId: string;
  readonly messageId: string;
  readonly conversation: { readonly id: string; readonly isNew: boolean } | null;
  /** Unix seconds. */
  readonly createdAt: number;
}

/**
 * Runs the apps of some modes. `run` streams the Service API's events and stores
 * what it produced — also when the signal aborts (a stop carries `StoppedError`
 * as its reason, a disconnect or shutdown another error).
 */
export interface AppRunner<P extends PreparedRun = PreparedRun> {
  readonly modes: readonly AppMode[];
  prepare(runnable: RunnableApp, request: RunRequest): Promise<P>;
  run(prepared: P, signal: AbortSignal): AsyncIterable<RunEvent>;
}

/** Any runner: what its `prepare` gives back is what its own `run` takes. */
export type SomeRunner = Omit<AppRunner, 'run'> & { run(prepared: never, signal: AbortSignal): AsyncIterable<RunEvent> };

/** The runner of each app mode. */
export class Runners {
  private readonly byMode = new Map<string, AppRunner>();

  constructor(runners: readonly SomeRunner[]) {
    for (const runner of runners) {
      for (const mode of runner.modes) {
        if (this.byMode.has(mode)) throw new Error(`two runners for app mode "${mode}"`);
        // Safe: a run only ever gets the prepared value of the same runner (startRun).
        this.byMode.set(mode, runner as AppRunner);
      }
    }
  }

  for(mode: string): AppRunner {
    const runner = this.byMode.get(mode);
    if (!runner) throw new TesseraError(400, 'app_unavailable', `App unavailable: apps of mode "${mode}" cannot run on this install.`);
    return runner;
  }
}
