import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cruise, format, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

/**
 * Layering (issue #15 item 7; docs/architecture.md, "Layering"): the rules of
 * .dependency-cruiser.cjs over src/ — no import cycle, and pure modules (the
 * DSL, later the workflow graph and engine, chunkers, fusion) import no Node
 * built-in, database, HTTP or other shell. `npm run layering` runs the same.
 */
const KERNEL = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = fileURLToPath(new URL('../.dependency-cruiser.cjs', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/layering', import.meta.url));

async function cruiseSrc(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG);
  const { output } = await cruise(['src'], { ...options, baseDir });
  return output as ICruiseResult;
}

describe('layering (dependency-cruiser)', () => {
  it('src/ has no import cycle and its pure modules import only pure code', async () => {
    const result = await cruiseSrc(KERNEL);
    const report = result.summary.error ? String((await format(result, { outputType: 'err' })).output) : '';
    expect(result.summary.error, report).to.equal(0);
    expect(result.summary.totalCruised).to.be.greaterThan(100);
  });

  it('flags cycles (type-only too) and a pure module importing Node, the database, HTTP or an unlisted package', async () => {
    const { summary } = await cruiseSrc(FIXTURE);
    const found = summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^(\.\.\/)+/, '')}`).sort();
    expect(found).to.deep.equal([
      'no-circular: src/knowledge/indexing/chunk/chunker.ts -> src/knowledge/indexing/chunk/split.ts',
      'no-circular: src/workflows/engine/loop.ts -> src/workflows/engine/state.ts',
      'pure-no-node-builtins: src/apps/dsl/dsl.ts -> fs',
      'pure-no-node-builtins: src/workflows/engine/loop.ts -> fs',
      'pure-no-shells: src/apps/dsl/dsl.ts -> node_modules/knex/knex.js',
      'pure-no-shells: src/apps/dsl/dsl.ts -> src/db/database.ts',
      'pure-no-shells: src/knowledge/indexing/chunk/chunker.ts -> node_modules/koa/lib/application.js',
      'pure-only-allowed: src/knowledge/indexing/chunk/chunker.ts -> node_modules/ipaddr.js/lib/ipaddr.js',
    ]);
  });
});
