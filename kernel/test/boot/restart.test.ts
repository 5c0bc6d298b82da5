import { expect } from 'chai';
import { OWNER, setupOwner, startKernel, stopAndClean } from '../support/kernel.js';
import { freshDataDir, freshSchema } from '../support/env.js';

describe('persistence across restarts', () => {
  it('keeps accounts, workspaces and keys after the kernel restarts on the same data', async () => {
    const dataDir = freshDataDir();
    const schema = freshSchema();
    const first = await startKernel({ dataDir, schema });
    const { token } = await setupOwner(first.api);
    const app = await first.api('POST', '/console/api/apps', { token, body: { name: 'Durable', mode: 'chat' } });
    const key = await first.api('POST', `/console/api/apps/${app.body.id}/api-keys`, { token });
    await first.kernel.stop();

    const second = await startKernel({ dataDir, schema });
    try {
      expect((await second.api('GET', '/console/api/setup')).body.step).to.equal('finished');
      const login = await second.api('POST', '/console/api/login', { body: { email: OWNER.email, password: OWNER.password } });
      expect(login.status).to.equal(200);
      // Sessions survive too: the token issued before the restart still works.
      const apps = await second.api('GET', '/console/api/apps', { token });
      expect(apps.body.data.map((a: { name: string }) => a.name)).to.deep.equal(['Durable']);
      expect((await second.api('GET', '/v1/info', { token: key.body.token })).body.name).to.equal('Durable');
      expect((await second.api('GET', '/ready')).status).to.equal(200);
    } finally {
      await stopAndClean(second.kernel, dataDir, second.schema);
    }
  });
});
