/**
 * What bench/gateway and bench/streams share: the zero-latency OpenAI-wire
 * provider, child processes that announce `READY <url>`, a timed keep-alive
 * POST, provisioning a published chat app through the console API, and RSS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Agent, request } from 'node:http';

/** The zero-latency provider: answers at once, a JSON completion or the same as one SSE write. */
export const PROVIDER = `
const http = require('node:http');
const usage = { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 };
const base = '"id":"chatcmpl-1","created":1,"model":"gpt-4o-mini"';
const stream = [
  'data: {' + base + ',"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\\n\\n',
  'data: {' + base + ',"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello there"},"finish_reason":null}]}\\n\\n',
  'data: {' + base + ',"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\\n\\n',
  'data: {' + base + ',"object":"chat.completion.chunk","choices":[],"usage":' + JSON.stringify(usage) + '}\\n\\n',
  'data: [DONE]\\n\\n',
].join('');
const json = '{' + base + ',"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],"usage":' + JSON.stringify(usage) + '}';
const models = JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1, owned_by: 'bench' }] });
const server = http.createServer({ keepAliveTimeout: 65000 }, (req, res) => {
  if (req.method === 'GET') return res.writeHead(200, { 'Content-Type': 'application/json' }).end(models);
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (JSON.parse(body).stream) res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end(stream);
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end(json);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write('READY http://127.0.0.1:' + server.address().port + '\\n'));
`;

/** Spawns `args` and waits for its `READY <url>` line. */
export async function startChild(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: not ready in 120 s`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
  child.stdout!.resume();
  return { child, url };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export interface Timing {
  ok: boolean;
  /** Request start → first byte of a `data:` frame (streams) or the full body (blocking), µs. */
  firstUs: number;
  totalUs: number;
}

/** One POST over a keep-alive agent, timed with the body read to the end. */
export function call(agent: Agent, url: URL, headers: Record<string, string>, payload: string, check: (body: string) => boolean): Promise<Timing> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let firstUs = 0;
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!firstUs && (chunk.includes('data:') || !chunk.startsWith(':'))) firstUs = Number(process.hrtime.bigint() - t0) / 1000;
        body += chunk;
      });
      res.on('end', () => {
        const totalUs = Number(process.hrtime.bigint() - t0) / 1000;
        resolve({ ok: res.statusCode === 200 && check(body), firstUs: firstUs || totalUs, totalUs });
      });
      res.on('error', () => resolve({ ok: false, firstUs: 0, totalUs: 0 }));
    });
    req.on('error', () => resolve({ ok: false, firstUs: 0, totalUs: 0 }));
    req.end(payload);
  });
}

export async function api(base: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** First-run setup, provider credentials and a published chat app with a key, as a user would do it. */
export async function provision(kernelUrl: string, providerUrl: string): Promise<{ key: string; token: string; appId: string }> {
  await api(kernelUrl, 'POST', '/console/api/setup', { email: 'bench@example.com', name: 'Bench', password: 'bench-pass-1' });
  const login = await api(kernelUrl, 'POST', '/console/api/login', { email: 'bench@example.com', password: 'bench-pass-1' });
  const token = login.data.access_token as string;
  await api(kernelUrl, 'POST', '/console/api/workspaces/current/model-providers/openai/credentials', { name: 'Bench', credentials: { api_key: 'sk-bench', base_url: `${providerUrl}/v1` } }, token);
  const app = await api(kernelUrl, 'POST', '/console/api/apps', { name: 'Gateway bench', mode: 'chat', model_config: { model: { provider: 'openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: { temperature: 0 } }, pre_prompt: 'You are terse.' } }, token);
  await api(kernelUrl, 'POST', `/console/api/apps/${app.id}/publish`, undefined, token);
  const key = (await api(kernelUrl, 'POST', `/console/api/apps/${app.id}/api-keys`, undefined, token)).token as string;
  return { key, token, appId: app.id as string };
}

export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}
