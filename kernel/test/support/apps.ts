import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupOwner, startKernel, type StartOptions, type TestKernel } from './kernel.js';
import { OpenAiWireServer } from './openai-server.js';
import { PackagesRef, PluginHostRef } from '../../src/services.js';

export const OPENAI_PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'openai');

/** Installs the OpenAI provider plugin and points its credentials at the local OpenAI-wire server. */
export async function configureOpenAi(t: TestKernel, token: string, upstream: OpenAiWireServer): Promise<void> {
  await t.kernel.get(PackagesRef).installFolder(OPENAI_PLUGIN, 'bundled', null, null, (pkg, code) => t.kernel.get(PluginHostRef).verify(pkg, code));
  const res = await t.api('POST', '/console/api/workspaces/current/model-providers/openai/credentials', { token, body: { name: 'Default', credentials: { api_key: upstream.apiKey, base_url: upstream.url } } });
  if (res.status !== 201) throw new Error(`could not configure openai: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface TestApp {
  id: string;
  key: string;
}

/** Creates an app with `config` over a gpt-4o-mini default, publishes it and makes an API key. */
export async function createPublishedApp(t: TestKernel, token: string, mode: string, config: Record<string, unknown> = {}, name = 'Test app'): Promise<TestApp> {
  const created = await t.api('POST', '/console/api/apps', { token, body: { name, mode, model_config: { model: { provider: 'openai', name: 'gpt-4o-mini', mode: 'chat', completion_params: { temperature: 0.3 } }, ...config } } });
  if (created.status !== 201) throw new Error(`could not create the app: ${created.status} ${JSON.stringify(created.body)}`);
  const published = await t.api('POST', `/console/api/apps/${created.body.id}/publish`, { token });
  if (published.status !== 200) throw new Error(`could not publish: ${published.status} ${JSON.stringify(published.body)}`);
  const key = await t.api('POST', `/console/api/apps/${created.body.id}/api-keys`, { token });
  return { id: created.body.id, key: key.body.token };
}

/** Parses an SSE body into its `data:` events and counts `event: ping` frames. */
export function parseSse(text: string): { events: any[]; pings: number } {
  const frames = text.split('\n\n').filter(Boolean);
  return {
    events: frames.filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6))),
    pings: frames.filter((f) => f.trim() === 'event: ping').length,
  };
}

/** POSTs JSON with an app key and returns the raw fetch response (for streams). */
export function post(t: TestKernel, key: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${t.url}/v1${path}`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
}

export interface AppKernel {
  t: TestKernel;
  token: string;
  workspaceId: string;
  upstream: OpenAiWireServer;
}

/** A kernel with a signed-in owner whose OpenAI provider points at a fresh local OpenAI-wire server. */
export async function startAppKernel(options: StartOptions = {}): Promise<AppKernel> {
  const upstream = await new OpenAiWireServer().start();
  const t = await startKernel(options);
  const { token, workspaceId } = await setupOwner(t.api);
  await configureOpenAi(t, token, upstream);
  return { t, token, workspaceId, upstream };
}

export async function stopAppKernel(t: TestKernel, upstream: OpenAiWireServer): Promise<void> {
  await t.stop();
  await upstream.stop();
}

/**
 * Reads a chat stream until `count` `message` events have arrived; returns them
 * and the reader, still open, for the caller to finish or cancel.
 */
export async function readMessageEvents(response: Response, count: number) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<Record<string, string>> = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, cut).split('\n').find((l) => l.startsWith('data: '));
      buffer = buffer.slice(cut + 2);
      const event = data ? (JSON.parse(data.slice(6)) as Record<string, string>) : undefined;
      if (event?.event === 'message') events.push(event);
    }
  }
  return { events, reader };
}
