import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS } from '../../../kernel/src/errors/catalogue.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const errorsOf = (name: string) => (JSON.parse(readFileSync(join(here, 'locales', name), 'utf8')) as { errors: Record<string, string> }).errors;

/** Keys of `errors.*` that are the console's own, not codes the kernel sends. */
const OWN = ['unknown', 'codeHint', 'network_error'];

/**
 * Server errors in the user's language (issue #14: they stayed English in the
 * Chinese UI): the console words every code of the kernel's error catalogue
 * (kernel/src/errors/catalogue.ts) in both locales, and words no code the kernel
 * does not send (a stale key is a translation nobody sees).
 */
describe('error messages of the locales', () => {
  for (const [name, file] of [['en', 'en.json'], ['zh-CN', 'zh-CN.json']] as const) {
    const errors = errorsOf(file);
    it(`${name} words every code of the kernel's catalogue`, () => {
      expect(Object.keys(ERRORS).filter((code) => !errors[code])).to.deep.equal([]);
    });
    it(`${name} words no code the kernel does not send`, () => {
      expect(Object.keys(errors).filter((code) => !(code in ERRORS) && !OWN.includes(code))).to.deep.equal([]);
    });
    it(`${name} uses no placeholder but {detail} (the server's message)`, () => {
      const others = Object.entries(errors).flatMap(([code, text]) => [...text.matchAll(/\{(\w+)\}/g)].filter((m) => m[1] !== 'detail').map(() => code));
      expect(others).to.deep.equal([]);
    });
  }

  it('says plugin_not_found is something a plugin looked up, not a missing plugin', () => {
    // The kernel now names a missing plugin plugin_package_not_found / marketplace_plugin_not_found.
    expect(errorsOf('en.json').plugin_not_found).to.not.equal('No such plugin.');
    expect(errorsOf('en.json').plugin_not_found).to.match(/looked up/);
  });
});
