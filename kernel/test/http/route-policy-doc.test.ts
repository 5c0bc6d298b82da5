import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withRoutePolicy } from '../../src/http/route-policy-doc.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'operations', 'security.md');

describe('docs/operations/security.md', () => {
  it('carries the route and permission tables exactly as the kernel enforces them', () => {
    const text = readFileSync(DOC, 'utf8');
    const generated = withRoutePolicy(text);
    expect(generated, 'the route-policy markers are missing from security.md').to.be.a('string');
    if (process.env.UPDATE_DOCS === '1' && generated !== text) writeFileSync(DOC, generated!);
    else expect(text, 'security.md is out of date: run UPDATE_DOCS=1 npm test -w @tessera/kernel').to.equal(generated);
  });
});
