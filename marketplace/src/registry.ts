/**
 * The embedded marketplace registry: Verdaccio 6.8.0 in a supervised child
 * process.
 *
 * Verdaccio runs in its own Node process (memory and failure isolation from the
 * kernel). {@link startRegistry} writes the configuration to
 * `<storageDir>/config.json`, spawns the child, waits until `GET /-/ping`
 * answers, and from then on restarts the child whenever it exits unexpectedly,
 * with exponential back-off and a cap on restarts per minute.
 *
 * @module
 */

import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildVerdaccioConfig, type RegistryConfigOptions } from "./config.js";

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions extends RegistryConfigOptions {
  /** TCP port to listen on (a fixed port: restarts reuse it). */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** How long to wait for `/-/ping` after each (re)start, in ms. Default 20 000. */
  readonly startTimeoutMs?: number;
  /** Restarts allowed within any 60 s window before the supervisor gives up. Default 5. */
  readonly maxRestartsPerMinute?: number;
  /** First restart delay in ms, doubled for each restart in the last minute. Default 200. */
  readonly restartBackoffMs?: number;
  /** Longest restart delay in ms. Default 10 000. */
  readonly maxRestartBackoffMs?: number;
  /** Called with each line the child writes (Verdaccio logs JSON lines on stdout). */
  readonly onLog?: (line: string, stream: "stdout" | "stderr") => void;
}

/** Events of a {@link Registry}. */
export interface RegistryEvents {
  /** The child answered `/-/ping` (after the first start and after each restart). */
  ready: [info: { pid: number; startupMs: number; restarts: number }];
  /** The child exited while it was meant to run. */
  exit: [info: { pid: number | undefined; code: number | null; signal: NodeJS.Signals | null }];
  /** A restart is scheduled. */
  restart: [info: { attempt: number; delayMs: number; reason: string }];
  /** A restart attempt failed (the child did not answer in time or exited again). */
  "restart-failed": [info: { attempt: number; error: Error }];
  /** Too many restarts in a minute: the supervisor stopped trying. */
  "give-up": [info: { restartsInLastMinute: number; reason: string }];
  /** A line of child output. */
  log: [info: { line: string; stream: "stdout" | "stderr" }];
}

/** A running registry. */
export interface Registry extends EventEmitter<RegistryEvents> {
  /** Base URL, e.g. `http://127.0.0.1:4873` (no trailing slash). */
  readonly url: string;
  /** Process id of the current child (undefined while restarting or after stop). */
  readonly pid: number | undefined;
  /** Restarts performed so far. */
  readonly restarts: number;
  /** `running`, `restarting`, `failed` (gave up) or `stopped`. */
  readonly state: RegistryState;
  /** Sends SIGTERM to the child and resolves once it has exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Lifecycle state of a {@link Registry}. */
export type RegistryState = "starting" | "running" | "restarting" | "failed" | "stopped";

const OUTPUT_TAIL_LINES = 30;

/** Locates the child entry: `dist/child.js`, or `src/child.ts` run through tsx when this module runs from source. */
function childEntry(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith(".ts");
  const ext = fromSource ? ".ts" : ".js";
  const file = new URL(`./child${ext}`, import.meta.url);
  return {
    file: fileURLToPath(file),
    execArgv: fromSource ? ["--import", "tsx"] : [],
  };
}

class SupervisedRegistry extends EventEmitter<RegistryEvents> implements Registry {
  readonly url: string;
  private child: ChildProcess | undefined;
  private readonly restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private restartCount = 0;
  private current: RegistryState = "starting";
  private readonly tail: string[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: StartRegistryOptions & { host: string },
    private readonly configFile: string,
  ) {
    super();
    this.url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get state(): RegistryState {
    return this.current;
  }

  /** Spawns a child and waits for its ping; rejects (after killing it) on failure. */
  async launch(): Promise<void> {
    const started = Date.now();
    const entry = childEntry();
    const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
      env: {
        ...process.env,
        TESSERA_MARKETPLACE_CONFIG: this.configFile,
        TESSERA_MARKETPLACE_HOST: this.options.host,
        TESSERA_MARKETPLACE_PORT: String(this.options.port),
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    this.pipeLines(child, "stdout");
    this.pipeLines(child, "stderr");

    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code, signal) =>
        reject(
          new Error(
            `marketplace registry (Verdaccio) at ${this.url} exited during start-up ` +
              `(${signal ? `signal ${signal}` : `exit code ${String(code)}`})${this.describeTail()}`,
          ),
        ),
      );
      child.once("error", reject);
    });
    exited.catch(() => undefined);

    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    try {
      await Promise.race([exited, waitForPing(this.url, timeoutMs, () => this.describeTail())]);
    } catch (error) {
      await killAndWait(child, 2_000);
      throw error;
    }
    if (this.stopping) {
      await killAndWait(child, 10_000, "SIGTERM");
      throw new Error(`marketplace registry (Verdaccio) at ${this.url} was stopped during start-up`);
    }
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    this.current = "running";
    this.emit("ready", { pid: child.pid as number, startupMs: Date.now() - started, restarts: this.restartCount });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) return;
    this.emit("exit", { pid: child.pid, code, signal });
    this.scheduleRestart(signal ? `killed by ${signal}` : `exited with code ${String(code)}`);
  }

  private scheduleRestart(reason: string): void {
    if (this.stopping) return;
    const now = Date.now();
    while (this.restartTimes.length > 0 && now - (this.restartTimes[0] as number) > 60_000) this.restartTimes.shift();
    const max = this.options.maxRestartsPerMinute ?? 5;
    if (this.restartTimes.length >= max) {
      this.current = "failed";
      this.child = undefined;
      this.emit("give-up", { restartsInLastMinute: this.restartTimes.length, reason });
      return;
    }
    const base = this.options.restartBackoffMs ?? 200;
    const delayMs = Math.min(base * 2 ** this.restartTimes.length, this.options.maxRestartBackoffMs ?? 10_000);
    this.restartTimes.push(now);
    const attempt = ++this.restartCount;
    this.current = "restarting";
    this.emit("restart", { attempt, delayMs, reason });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.launch().catch((error: Error) => {
        if (this.stopping) return;
        this.emit("restart-failed", { attempt, error });
        this.scheduleRestart(error.message);
      });
    }, delayMs);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      const child = this.child;
      this.child = undefined;
      if (child) await killAndWait(child, 10_000, "SIGTERM");
      this.current = "stopped";
    })();
    return this.stopping;
  }

  private pipeLines(child: ChildProcess, stream: "stdout" | "stderr"): void {
    let buffered = "";
    child[stream]?.setEncoding("utf8");
    child[stream]?.on("data", (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === "") continue;
        this.tail.push(line);
        if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
        this.options.onLog?.(line, stream);
        if (this.listenerCount("log") > 0) this.emit("log", { line, stream });
      }
    });
  }

  private describeTail(): string {
    const lines = this.tail.slice(-8);
    return lines.length > 0 ? `; last output:\n  ${lines.join("\n  ")}` : "";
  }
}

/**
 * Starts the embedded marketplace registry and resolves once it answers
 * `GET /-/ping`.
 *
 * @example
 * ```ts
 * const registry = await startRegistry({ storageDir: join(dataDir, "marketplace"), port: 4873 });
 * registry.on("restart", ({ attempt, reason }) => log.warn({ attempt, reason }, "marketplace registry restarting"));
 * // ... on shutdown:
 * await registry.stop();
 * ```
 */
export async function startRegistry(options: StartRegistryOptions): Promise<Registry> {
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
    throw new Error(`marketplace registry: port must be a fixed TCP port (1-65535), got ${String(options.port)}`);
  }
  const storageDir = resolve(options.storageDir);
  await mkdir(join(storageDir, "storage"), { recursive: true });
  const configFile = join(storageDir, "config.json");
  const config = buildVerdaccioConfig({ ...options, storageDir });
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const registry = new SupervisedRegistry({ ...options, storageDir, host: options.host ?? "127.0.0.1" }, configFile);
  await registry.launch();
  return registry;
}

/** Polls `GET <url>/-/ping` until it answers 200 or `timeoutMs` passes. */
export async function waitForPing(url: string, timeoutMs: number, detail: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/-/ping`, { signal: AbortSignal.timeout(Math.max(250, Math.min(2_000, deadline - Date.now()))) });
      await response.arrayBuffer();
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`marketplace registry (Verdaccio) at ${url} did not answer /-/ping within ${timeoutMs} ms (${lastError})${detail()}`);
}

/** Finds a free TCP port on `host` by listening on port 0. */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function killAndWait(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}
