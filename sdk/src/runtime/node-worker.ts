/**
 * The worker-thread side of the `node` runtime (run by piscina): loads a
 * plugin bundle with full Node.js, wraps it in the same dispatcher the
 * isolates use (the prelude), and reaches the host's capabilities over a
 * MessagePort that comes with each task.
 */
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { PRELUDE } from './prelude-source.js';

export interface NodeTask {
  readonly bundle: string;
  readonly seq: number;
  readonly request: string;
  /** The call this request belongs to ('' for describe/activate/deactivate). */
  readonly callId: string;
  readonly port: MessagePort;
  /** The runtime's bridge limits, for the prelude's own checks (the host checks them again). */
  readonly limits?: object;
}

interface Plugin {
  dispatch(seq: number, request: string): void;
  readonly answers: Map<number, (json: string) => void>;
  readonly ports: Map<string, MessagePort>;
  lastPort: MessagePort | undefined;
}

const plugins = new Map<string, Promise<Plugin>>();
const replies = new Map<number, (result: string | Uint8Array) => void>();
let nextReply = 0;

function portFor(plugin: Plugin, callId: string): MessagePort | undefined {
  return plugin.ports.get(callId) ?? plugin.lastPort;
}

async function load(bundle: string, limits: object | undefined): Promise<Plugin> {
  const plugin: Plugin = { dispatch: () => undefined, answers: new Map(), ports: new Map(), lastPort: undefined };
  const scope: Record<string, unknown> = {
    __host_limits: limits,
    __host_done(seq: number, json: string) {
      const answer = plugin.answers.get(seq);
      plugin.answers.delete(seq);
      answer?.(json);
    },
    __host_op_ref: {
      apply(_this: unknown, [callId, op, json, bytes]: [string, string, string, Uint8Array | undefined]): Promise<string | Uint8Array> {
        const port = portFor(plugin, callId);
        if (!port) return Promise.resolve(JSON.stringify({ __error: { code: 'plugin_internal_error', message: 'no channel to the host' } }));
        const id = ++nextReply;
        return new Promise((resolve) => {
          replies.set(id, resolve);
          port.postMessage({ id, callId, op, json, bytes });
        });
      },
    },
    __host_log(callId: string, level: string, message: string, fields: string) {
      portFor(plugin, callId)?.postMessage({ log: [callId, level, message, fields] });
    },
  };
  // The prelude binds its dispatcher to `scope` (not the worker's globals), one per plugin.
  new Function('globalThis', PRELUDE)(scope);
  const module = (await import(pathToFileURL(bundle).href)) as { default?: unknown };
  (scope.__tessera_install as (p: unknown) => void)(module.default);
  plugin.dispatch = scope.__tessera_dispatch as Plugin['dispatch'];
  return plugin;
}

export default async function run(task: NodeTask): Promise<string> {
  let loading = plugins.get(task.bundle);
  if (!loading) plugins.set(task.bundle, (loading = load(task.bundle, task.limits)));
  const plugin = await loading;
  task.port.on('message', (message: { id: number; result: string | Uint8Array }) => {
    const reply = replies.get(message.id);
    replies.delete(message.id);
    reply?.(message.result);
  });
  task.port.once('close', () => {
    if (plugin.ports.get(task.callId) === task.port) plugin.ports.delete(task.callId);
    if (plugin.lastPort === task.port) plugin.lastPort = undefined;
  });
  if (task.callId) plugin.ports.set(task.callId, task.port);
  plugin.lastPort = task.port;
  return new Promise((resolve) => {
    plugin.answers.set(task.seq, resolve);
    plugin.dispatch(task.seq, task.request);
  });
}
