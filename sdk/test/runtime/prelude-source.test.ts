import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { PRELUDE_DIR, PRELUDE_SOURCE, renderPreludeSource } from '../../scripts/build-prelude.js';

describe('the isolate prelude (src/runtime/prelude/)', () => {
  it('type-checks under strict in the isolate environment (ES2022, no Node or DOM globals)', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(PRELUDE_DIR, 'tsconfig.json'), undefined, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
    expect(config, 'the prelude tsconfig').to.not.equal(undefined);
    expect(config!.options.strict).to.equal(true);
    expect(config!.options.types).to.deep.equal([]);
    const program = ts.createProgram({ rootNames: config!.fileNames, options: config!.options });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file ? ` (${d.file.fileName})` : ''));
    expect(problems).to.deep.equal([]);
  });

  it('prelude-source.ts is the current bundle of it (npm run build regenerates it)', async () => {
    const committed = await readFile(PRELUDE_SOURCE, 'utf8');
    expect(committed === (await renderPreludeSource()), 'src/runtime/prelude-source.ts is stale: run `npm run build` in sdk/ and commit it').to.equal(true);
  });
});
