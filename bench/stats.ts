/** The few statistics every benchmark prints. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** p50, p99 and mean of samples in microseconds, rounded to 0.1. */
export function summary(samplesUs: number[]) {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50Us: round(percentile(sorted, 50)), p99Us: round(percentile(sorted, 99)), meanUs: round(sorted.reduce((s, v) => s + v, 0) / sorted.length), n: sorted.length };
}

/** Runs `fn` `n` times in a row; the duration of each run in microseconds. */
export async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples;
}
