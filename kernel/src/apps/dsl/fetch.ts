import { createGuardedFetch, FetchResponseTooLargeError } from '@tessera/sdk/runtime';
import { DSL_MAX_BYTES, DslError, rawGithubUrl } from './dsl.js';

export interface FetchDslOptions {
  /** Private/loopback destinations allowed (tests; the SSRF guard refuses them otherwise). */
  allowPrivate?: readonly string[];
  /** Until the response headers (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole download (default 30 s). */
  totalTimeoutMs?: number;
  maxBytes?: number;
}

function tooLarge(maxBytes: number): string {
  return `File size exceeds the limit of ${maxBytes % (1024 * 1024) === 0 ? `${maxBytes / (1024 * 1024)}MB` : `${maxBytes} bytes`}`;
}

/**
 * Downloads a DSL file: http(s) only, never to private or loopback addresses
 * (SSRF guard, redirects re-checked), GitHub blob URLs read raw, at most
 * 10 MB, within a timeout. Throws DslError with the reason.
 */
export async function fetchDsl(url: string, options: FetchDslOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DSL_MAX_BYTES;
  const target = rawGithubUrl(url.trim());
  const guardedFetch = createGuardedFetch({
    grant: { hosts: ['*'], allowPrivate: options.allowPrivate ?? [] },
    timeoutMs: options.headersTimeoutMs ?? 10_000,
    maxResponseBytes: maxBytes,
    maxRedirects: 5,
    userAgent: 'Tessera-DSL-Import',
  });
  const signal = AbortSignal.timeout(options.totalTimeoutMs ?? 30_000);
  try {
    const res = await guardedFetch({ url: target, method: 'GET', headers: { Accept: 'application/x-yaml, text/yaml, text/plain, */*' }, signal });
    if (res.status < 200 || res.status >= 300) {
      res.cancel?.();
      throw new DslError(`Error fetching YAML from URL: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    const length = Number(res.headers.find(([name]) => name === 'content-length')?.[1]);
    if (Number.isFinite(length) && length > maxBytes) {
      res.cancel?.();
      throw new DslError(tooLarge(maxBytes));
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of res.body ?? []) chunks.push(chunk);
    const content = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    if (content.trim() === '') throw new DslError('Empty content from url');
    return content;
  } catch (error) {
    if (error instanceof DslError) throw error;
    if (error instanceof FetchResponseTooLargeError) throw new DslError(tooLarge(maxBytes));
    if (error instanceof TypeError && /decode|encoded/i.test(error.message)) throw new DslError('Error fetching YAML from URL: the file is not UTF-8 text');
    const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
    throw new DslError(`Error fetching YAML from URL: ${reason}`);
  }
}

