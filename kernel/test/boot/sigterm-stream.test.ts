import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatabaseRef } from '../../src/services.js';
import { createPublishedApp, parseSse, startAppKernel } from '../support/apps.js';
import { startKernel } from '../support/kernel.js';
import { waitForLine } from '../support/child.js';
import { TEST_DATABASE_URL } from '../support/env.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** Issue #14 item 3 on a real process: SIGTERM with a slow stream open past SHUTDOWN_TIMEOUT_MS. */
describe('tessera start: SIGTERM with a chat stream in flight (#14)', function () {
  this.timeout(90_000);

  it('sends the client a 503 server_shutting_down event, stores the partial answer and exits within the deadline plus a second', async function () {
    if (TEST_DATABASE_URL) this.skip(); // the set-up kernel's schema is not handed to the child here
    // Set-up in process (owner, provider, app), then the same data folder served by a real `tessera start`.
    const setup = await startAppKernel();
    const { t, token, upstream } = setup;
    const app = await createPublishedApp(t, token, 'chat', { pre_prompt: 'Be brief.' });
    await t.kernel.stop();
    upstream.scripts = [{ kind: 'stream', words: Array.from({ length: 100 }, (_, i) => ` w${i}`), delayMs: 200 }];
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CLI, 'start'], {
      env: { PATH: process.env.PATH!, LOG_LEVEL: 'info', MARKETPLACE: 'off', BUNDLED_PLUGINS_DIR: '', DATA_DIR: t.dataDir, PORT: '0', SHUTDOWN_TIMEOUT_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = (JSON.parse(await waitForLine(child, /Tessera listening on/)) as { url: string }).url;
      const response = await fetch(`${url}/v1/chat-messages`, { method: 'POST', headers: { Authorization: `Bearer ${app.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: {}, query: 'A long story', user: 'u1', response_mode: 'streaming', auto_generate_name: false }) });
      const text = response.text();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const signalled = performance.now();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      const exitMs = performance.now() - signalled;
      const { events } = parseSse(await text);
      const last = events.at(-1);
      expect(last).to.include({ event: 'error', status: 503, code: 'server_shutting_down' });
      expect(code).to.equal(0);
      expect(exitMs, `exit took ${Math.round(exitMs)} ms`).to.be.lessThan(1000 + 1000);
      const again = await startKernel({ dataDir: t.dataDir });
      try {
        const row = await again.kernel.get(DatabaseRef).knex('messages').where({ id: last.message_id }).first();
        expect(row, 'the message row').to.exist;
        expect(row.status).to.equal('stopped');
        expect(row.answer).to.match(/^ w0 w1/);
      } finally {
        await again.kernel.stop();
      }
      console.log(`      exit ${Math.round(exitMs)} ms after SIGTERM (SHUTDOWN_TIMEOUT_MS=1000)`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await upstream.stop();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
