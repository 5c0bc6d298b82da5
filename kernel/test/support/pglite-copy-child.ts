/**
 * A first start in a child process: opens a PGlite data folder from a template
 * and, after `pauseAfter` files of the copy, says `paused` and blocks, so the
 * parent can SIGKILL it at a known point of the copy (test/db/pglite-template-copy.test.ts).
 * Usage: pglite-copy-child.ts <dir> <templateDir> <pauseAfter>
 */
import { openPglite } from '../../src/db/database.js';

const [dir, templateDir, pauseAfter] = process.argv.slice(2) as [string, string, string];
const pglite = await openPglite(dir, templateDir, {
  onTemplateFile(copied) {
    if (copied !== Number(pauseAfter)) return;
    process.stdout.write('paused\n'); // a pipe: written synchronously on Linux, before the block below
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks until killed
  },
});
await pglite.close();
process.stdout.write('opened\n');
