/**
 * avvio-style boot: modules start one after another in the order they were
 * added, each under a time-out that names it; `stop()` closes them in reverse.
 * The boot report (time per module) goes into the start-up log.
 */
export interface BootModule {
  readonly name: string;
  start(): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** Overrides the lifecycle's default time-out for this module. */
  readonly timeoutMs?: number;
}

export interface BootReportEntry {
  readonly name: string;
  readonly ms: number;
}

export interface BootReport {
  readonly totalMs: number;
  readonly modules: readonly BootReportEntry[];
}

export class BootTimeoutError extends Error {
  constructor(readonly moduleName: string, readonly timeoutMs: number) {
    super(`boot module "${moduleName}" did not start within ${timeoutMs} ms`);
    this.name = 'BootTimeoutError';
  }
}

export class BootFailedError extends Error {
  constructor(readonly moduleName: string, cause: unknown) {
    super(`boot module "${moduleName}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BootFailedError';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Lifecycle {
  private readonly modules: BootModule[] = [];
  private readonly started: BootModule[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly defaultTimeoutMs: number, private readonly onStopError?: (name: string, error: unknown) => void) {}

  add(module: BootModule): this {
    this.modules.push(module);
    return this;
  }

  /** Starts every module in order. On failure, the modules already started are stopped again. */
  async start(): Promise<BootReport> {
    const begin = performance.now();
    const entries: BootReportEntry[] = [];
    for (const module of this.modules) {
      const t0 = performance.now();
      const timeoutMs = module.timeoutMs ?? this.defaultTimeoutMs;
      try {
        await withTimeout(Promise.resolve().then(() => module.start()), timeoutMs, () => new BootTimeoutError(module.name, timeoutMs));
      } catch (error) {
        await this.stop();
        throw error instanceof BootTimeoutError ? error : new BootFailedError(module.name, error);
      }
      this.started.push(module);
      entries.push({ name: module.name, ms: Math.round((performance.now() - t0) * 10) / 10 });
    }
    return { totalMs: Math.round((performance.now() - begin) * 10) / 10, modules: entries };
  }

  /** Stops started modules in reverse order; a failing stop is reported and the rest still stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      while (this.started.length > 0) {
        const module = this.started.pop()!;
        try {
          await module.stop?.();
        } catch (error) {
          this.onStopError?.(module.name, error);
        }
      }
    })();
    return this.stopping;
  }
}
