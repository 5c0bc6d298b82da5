// After `vite build`: writes .br and .gz beside each text asset, so the kernel
// serves them compressed (it picks by Accept-Encoding) without compressing per request.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = new URL('../dist/assets/', import.meta.url).pathname;
let count = 0;
for (const name of readdirSync(dir)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue;
  const bytes = readFileSync(join(dir, name));
  if (bytes.length < 1024) continue;
  writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  writeFileSync(join(dir, `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
  count++;
}
process.stdout.write(`precompressed ${count} assets (.br, .gz)\n`);
