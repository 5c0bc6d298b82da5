import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { setupOwner, startKernel, type TestKernel } from '../support/kernel.js';
import { buildProbePlugin, uploadPlugin } from '../support/plugins.js';

/** A tar archive held in memory: each entry a header and its zero-padded body. */
function tarOf(entries: Array<{ path: string; size: number; body?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const header = new tar.Header({ path: e.path, size: e.size, type: 'File', mode: 0o644, mtime: new Date(0) });
    const block = Buffer.alloc(512);
    header.encode(block);
    parts.push(block, e.body ?? Buffer.alloc(e.size), Buffer.alloc((512 - (e.size % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** Issue #13: hostile plugin tarballs fail their upload with a coded 400 and the kernel keeps serving. */
describe('plugin package upload limits', () => {
  let t: TestKernel;
  let token: string;
  before(async () => {
    t = await startKernel();
    ({ token } = await setupOwner(t.api));
  });
  after(() => t.stop());

  it('refuses a gzip bomb (240 MB unpacked from a small upload) with file_too_large, and keeps serving', async () => {
    const bomb = gzipSync(tarOf([{ path: 'package/package.json', size: 2, body: Buffer.from('{}') }, { path: 'package/zeros.bin', size: 240 * 1024 * 1024 }]), { level: 9 });
    expect(bomb.length).to.be.below(1024 * 1024);
    const res = await uploadPlugin(t.api, token, bomb);
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.code).to.equal('file_too_large');
    expect((await t.api('GET', '/health')).status).to.equal(200);
    // The next, ordinary upload still works.
    const probe = await buildProbePlugin('@test/after-bomb', '1.0.0');
    expect((await uploadPlugin(t.api, token, probe.tarball)).status).to.equal(201);
  });

  it('refuses a package of thousands of entries with too_many_entries', async () => {
    const entries = Array.from({ length: 2500 }, (_, i) => ({ path: `package/f${i}.txt`, size: 1, body: Buffer.from('x') }));
    const res = await uploadPlugin(t.api, token, gzipSync(tarOf(entries)));
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('too_many_entries');
  });

  it('refuses bytes that are not a tarball with a coded error', async () => {
    const res = await uploadPlugin(t.api, token, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5]));
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('invalid_plugin_package');
  });
});
