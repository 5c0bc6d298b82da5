/**
 * bench/models: what the model runtime facade and the isolate bridge add to a
 * streamed chat, against a zero-latency local server speaking OpenAI's wire
 * format, next to calling that server directly (fetch + SSE parsing) in the
 * same run. Per call: 1-chunk answers; per chunk: the slope between 1-chunk
 * and 200-chunk answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../kernel/src/boot/config.js';
import { createKernel } from '../kernel/src/kernel.js';
import { createLogger } from '../kernel/src/logger.js';
import type { BenchResult } from './run.js';
import { median, timeEach } from './stats.js';
import { AccountsRef, DatabaseRef, ModelRuntimeRef, ModelServiceRef } from '../kernel/src/services.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CALLS = Number(process.env.BENCH_CALLS ?? 300);
const LONG = 200;

/** Answers every chat with `n` content chunks (the `n` query parameter is the model name's suffix). */
function wireServer(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'bench-1', object: 'model' }] }));
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const n = Number(/bench-(\d+)/.exec(JSON.parse(body).model)?.[1] ?? 1);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      let out = '';
      for (let i = 0; i < n; i++) out += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w${i} "},"finish_reason":null}]}\n\n`;
      out += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`;
      out += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":${n},"total_tokens":${n + 5}}}\n\ndata: [DONE]\n\n`;
      res.end(out);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The baseline: the same request straight to the server, parsing its SSE into chunks. */
async function direct(base: string, n: number): Promise<number> {
  const res = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-bench' }, body: JSON.stringify({ model: `bench-${n}`, stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
  const text = await res.text();
  let chunks = 0;
  for (const frame of text.split('\n\n')) if (frame.startsWith('data: {')) (JSON.parse(frame.slice(6)) as object) && chunks++;
  return chunks;
}



export async function bench(): Promise<BenchResult> {
  const server = await wireServer();
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-models-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', BUNDLED_PLUGINS_DIR: join(root, 'plugins') });
  const kernel = createKernel({ config, logger: createLogger('silent'), http: false });
  await kernel.start();
  try {
    const { workspaceId } = await kernel.get(AccountsRef).createAdmin({ email: 'bench@example.com', password: 'bench-pass-1', name: 'Bench' });
    await kernel.get(ModelServiceRef).addCredentials(workspaceId, 'openai', { api_key: 'sk-bench', base_url: base }, 'bench', '00000000-0000-0000-0000-000000000000');
    const facade = async (n: number) => {
      let chunks = 0;
      for await (const chunk of kernel.get(ModelRuntimeRef).chat(workspaceId, 'openai', { model: `bench-${n}`, messages: [{ role: 'user', content: 'hi' }] })) if (chunk) chunks++;
      return chunks;
    };
    // Warm both paths (isolate, JIT, connection handling), then interleave so noise hits both alike.
    for (let i = 0; i < 50; i++) await Promise.all([direct(base, 1), facade(1)]).then(() => Promise.all([direct(base, LONG), facade(LONG)]));
    const d1: number[] = [], f1: number[] = [], dN: number[] = [], fN: number[] = [];
    for (let round = 0; round < 5; round++) {
      d1.push(...(await timeEach(CALLS / 5, () => direct(base, 1))));
      f1.push(...(await timeEach(CALLS / 5, () => facade(1))));
      dN.push(...(await timeEach(CALLS / 10, () => direct(base, LONG))));
      fN.push(...(await timeEach(CALLS / 10, () => facade(LONG))));
    }
    await kernel.get(ModelRuntimeRef).usage.flush();
    const perCallUs = median(f1) - median(d1);
    const perChunkUs = (median(fN) - median(f1) - (median(dN) - median(d1))) / (LONG - 1);
    const figures = {
      calls: { oneChunk: CALLS, longStream: CALLS / 2, chunksPerLongStream: LONG },
      direct: { oneChunkP50Us: Math.round(median(d1)), longStreamP50Us: Math.round(median(dN)) },
      facade: { oneChunkP50Us: Math.round(median(f1)), longStreamP50Us: Math.round(median(fN)) },
      addedPerCallUs: Math.round(perCallUs),
      addedPerChunkUs: Math.round(perChunkUs * 10) / 10,
      usageRows: Number(((await kernel.get(DatabaseRef).knex('model_usage').count({ n: '*' }).first()) as { n: number }).n),
      rssMb: Math.round(process.memoryUsage().rss / 1048576),
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    return {
      name: 'models',
      machine: { node: process.version, cpus: cpus().length, platform: process.platform },
      figures,
      targets: {
        'added per call (p50, 1-chunk answer)': { target: `< 500 µs, got ${figures.addedPerCallUs} µs`, met: figures.addedPerCallUs < 500 },
        'added per streamed chunk': { target: `< 20 µs, got ${figures.addedPerChunkUs} µs`, met: figures.addedPerChunkUs < 20 },
      },
    };
  } finally {
    await kernel.stop();
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
