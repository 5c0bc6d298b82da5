import { pino, type Logger } from 'pino';
import type { LogLevel } from './boot/config.js';

export type { Logger };

/** JSON lines on stdout (pino); `LOG_PRETTY=1` is left to external tools such as pino-pretty. */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime });
}
