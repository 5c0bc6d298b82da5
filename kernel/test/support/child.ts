import type { ChildProcess } from 'node:child_process';

/** The first line of the child's stdout matching `pattern` (a `tessera start` announcing its URL, say). */
export function waitForLine(child: ChildProcess, pattern: RegExp, ms = 30_000): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in: ${out}`)), ms);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}
