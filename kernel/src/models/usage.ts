import type { Knex } from 'knex';
import type { ModelPricing, ModelType } from '@tessera/sdk';

export interface UsageEntry {
  readonly workspaceId: string;
  readonly plugin: string;
  readonly provider: string;
  readonly model: string;
  readonly type: ModelType;
  readonly credentialId: string | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly latencyMs: number;
  readonly ttftMs: number | null;
  readonly price: number;
  readonly currency: string;
  readonly status: string;
  readonly errorCode: string | null;
}

/** Dify's convention: `input`/`output` are prices per `1 / unit` tokens (`unit` 0.000001 = per million). */
export function priceOf(pricing: ModelPricing, tokensIn: number, tokensOut: number): { price: number; currency: string } {
  const price = (tokensIn * pricing.input + tokensOut * (pricing.output ?? 0)) * pricing.unit;
  return { price: Math.round(price * 1e8) / 1e8, currency: pricing.currency };
}

/** One row per model call, and the per-day figures the console charts. */
export class UsageRecorder {
  private readonly preparing = new Set<Promise<unknown>>();
  private queue: UsageEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly knex: Knex, private readonly onError: (error: unknown) => void = () => undefined) {}

  /**
   * Books a call in the background, in batches (one insert per 100 ms or 100
   * calls): a model call never waits for its bookkeeping, and under load the
   * database sees a few multi-row inserts instead of one per call.
   */
  record(entry: UsageEntry | Promise<UsageEntry>, onError: (error: unknown) => void): void {
    const prepared = Promise.resolve(entry).then((e) => {
      this.queue.push(e);
      if (this.queue.length >= 100) this.writeQueued();
      else this.timer ??= setTimeout(() => this.writeQueued(), 100);
    }, onError);
    this.preparing.add(prepared);
    void prepared.finally(() => this.preparing.delete(prepared));
  }

  /** Writes everything booked so far (shutdown, tests, reports). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.preparing]);
    this.writeQueued();
    await this.writing;
  }

  private writeQueued(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.writing = this.writing.then(() => this.write(batch)).catch(this.onError);
  }

  private async write(entries: UsageEntry[]): Promise<void> {
    await this.knex('model_usage').insert(entries.map((entry) => ({
      workspace_id: entry.workspaceId,
      plugin_name: entry.plugin,
      provider_id: entry.provider,
      model: entry.model,
      model_type: entry.type,
      credential_id: entry.credentialId,
      tokens_in: entry.tokensIn,
      tokens_out: entry.tokensOut,
      latency_ms: entry.latencyMs,
      ttft_ms: entry.ttftMs,
      price: entry.price,
      currency: entry.currency,
      status: entry.status,
      error_code: entry.errorCode,
    })));
  }

  /** Calls, tokens, cost, errors and latency per model per day (UTC) between `from` and `to`. */
  async perDay(workspaceId: string, from: Date, to: Date) {
    await this.flush();
    const day = this.knex.raw(`to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`);
    const rows = (await this.knex('model_usage')
      .select({ date: day, provider: 'provider_id', model: 'model', model_type: 'model_type' })
      .count({ calls: '*' })
      .sum({ tokens_in: 'tokens_in', tokens_out: 'tokens_out', price: 'price' })
      .select(this.knex.raw(`sum(case when status = 'success' then 0 else 1 end) as errors`))
      .avg({ latency_ms: 'latency_ms', ttft_ms: 'ttft_ms' })
      .where({ workspace_id: workspaceId })
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .groupByRaw(`1, provider_id, model, model_type`)
      .orderByRaw('1, provider_id, model')) as Array<Record<string, string | number | null>>;
    return rows.map((r) => ({
      date: String(r.date),
      provider: String(r.provider),
      model: String(r.model),
      model_type: String(r.model_type),
      calls: Number(r.calls),
      tokens_in: Number(r.tokens_in ?? 0),
      tokens_out: Number(r.tokens_out ?? 0),
      price: Number(r.price ?? 0),
      errors: Number(r.errors ?? 0),
      avg_latency_ms: Math.round(Number(r.latency_ms ?? 0)),
      avg_ttft_ms: r.ttft_ms === null ? null : Math.round(Number(r.ttft_ms)),
    }));
  }
}
