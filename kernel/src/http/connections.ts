import type { Server } from 'node:http';

/**
 * Counts in-flight requests and open SSE streams so a SIGTERM can drain them:
 * stop accepting, let requests finish and streams close, then force what is left.
 */
export class ConnectionTracker {
  private inflight = 0;
  private readonly streams = new Set<() => void>();
  private idleWaiters: Array<() => void> = [];
  draining = false;

  requestStarted(): void {
    this.inflight++;
  }

  requestFinished(): void {
    this.inflight--;
    this.notifyIfIdle();
  }

  /**
   * Registers an open stream; `end` is called when the drain deadline passes.
   * Returns the un-register function. The stream's request stays in flight
   * until its response is flushed, so draining waits for that, not for this.
   */
  trackStream(end: () => void): () => void {
    this.streams.add(end);
    return () => {
      this.streams.delete(end);
    };
  }

  get activeRequests(): number {
    return this.inflight;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  private notifyIfIdle(): void {
    if (this.inflight <= 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private idle(): Promise<void> {
    if (this.inflight <= 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops `server` accepting, waits up to `deadlineMs` for in-flight requests and
   * open streams to finish on their own, then ends the streams that are left
   * (aborting their producers) and closes every remaining connection.
   */
  async drain(server: Server, deadlineMs: number): Promise<{ forced: boolean }> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([this.idle().then(() => 'idle' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      // Ended streams get a moment to flush their last frame before sockets are cut.
      for (const end of [...this.streams]) end();
      await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, 900).unref())]);
    }
    server.closeAllConnections();
    await closed;
    return { forced: outcome === 'deadline' };
  }
}
