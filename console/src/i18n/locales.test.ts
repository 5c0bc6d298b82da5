import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const SRC = join(here, '..');
const load = (name: string) => JSON.parse(readFileSync(join(here, 'locales', name), 'utf8')) as Record<string, unknown>;

function keys(messages: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('locales (English and Simplified Chinese)', () => {
  const en = keys(load('en.json'));
  const zh = keys(load('zh-CN.json'));

  it('have exactly the same keys', () => {
    expect(zh.filter((k) => !en.includes(k)), 'only in zh-CN').to.deep.equal([]);
    expect(en.filter((k) => !zh.includes(k)), 'only in en').to.deep.equal([]);
  });

  it('define every literal key the source uses', () => {
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\('([a-zA-Z][\w.-]*)'/g)) used.add(m[1]!);
      for (const m of text.matchAll(/title: '([a-zA-Z][\w.-]*)'/g)) used.add(m[1]!);
    }
    expect([...used].filter((k) => !en.includes(k))).to.deep.equal([]);
  });

  it('use no bare characters that vue-i18n treats as syntax (@ and |)', () => {
    for (const [name, file] of [['en', 'en.json'], ['zh-CN', 'zh-CN.json']] as const) {
      const flat = JSON.stringify(load(file));
      expect(flat, name).to.not.match(/[@|]/);
    }
  });
});
