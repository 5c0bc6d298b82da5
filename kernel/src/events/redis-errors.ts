import { UnavailableError } from '../errors.js';

/*
 * Redis clients that answer a request (the limits, the login throttle, the
 * event bus) must fail fast while Redis is unreachable (issue #14: requests
 * waited up to 14 s, then got a 500). ioredis queues commands while it is not
 * connected and waits forever on a connection that went silent; these options
 * make a command fail at once when not connected and within a second when
 * Redis does not answer.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

export const FAIL_FAST_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  // A TCP connect that gets no answer (packets dropped) is retried after 2 s instead of 10.
  connectTimeout: 2000,
} as const;

/** 503 redis_unavailable, `what` saying what the request needed Redis for; the driver's words stay in `cause`, for the log. */
export function redisUnavailable(what: string, cause: unknown): UnavailableError {
  const error = new UnavailableError(`${what}: Redis is not answering. Try again shortly.`, 'redis_unavailable');
  Object.defineProperty(error, 'cause', { value: cause, configurable: true });
  return error;
}
