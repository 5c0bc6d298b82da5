/**
 * The plugin-host process of bench/plugin-host-process: holds one isolate and
 * answers calls sent over IPC, as a supervised plugin host would.
 */
import { readFileSync } from 'node:fs';
import { IsolateRuntime, type CallScope } from '@tessera/sdk/runtime';
import { createMemoryCapabilities } from '@tessera/sdk/testing';

const code = readFileSync(process.env.BENCH_BUNDLE!, 'utf8');
const runtime = new IsolateRuntime({ name: 'calculator@host', code });
const scope: CallScope = { workspaceId: 'bench', capabilities: createMemoryCapabilities() };
const target = { group: 'tools' as const, id: 'calculate', method: 'invoke' };

process.on('message', (message: { id: number; args: unknown }) => {
  runtime.call(target, [message.args as never], scope).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.message }),
  );
});
await runtime.activate();
process.send!({ ready: true });
