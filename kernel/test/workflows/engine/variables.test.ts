/**
 * The variable pool, templates and value types of the workflow engine (issue #16):
 * selectors with paths and namespaces, child pools, Dify's template rendering and
 * the type and size checks with Dify's default limits.
 */
import { expect } from 'chai';
import { renderTemplate, segmentText } from '../../../src/workflows/engine/template.js';
import { templateReferences as templateSelectors } from '../../../src/workflows/graph/templates.js';
import { DEFAULT_VARIABLE_LIMITS, checkSize, checkValue, inferType } from '../../../src/workflows/engine/value-types.js';
import { VariablePool } from '../../../src/workflows/engine/variable-pool.js';

const file = { dify_model_identity: '__dify__file__', type: 'image', transfer_method: 'local_file', filename: 'a.png', size: 12, url: 'http://x/a.png' };

describe('workflow variable pool', () => {
  const pool = new VariablePool({ system: { query: 'hi', user_id: 'u1', files: [file] }, environment: { KEY: 'k' }, conversation: { count: 2 } });
  pool.setAll('llm', { text: 'hello', structured_output: { summary: 'short', tags: ['a', 'b'] } });

  it('reads selectors with paths into objects, arrays and file attributes', () => {
    expect(pool.get(['llm', 'text'])).to.equal('hello');
    expect(pool.get(['llm', 'structured_output', 'summary'])).to.equal('short');
    expect(pool.get(['llm', 'structured_output', 'tags', '1'])).to.equal('b');
    expect(pool.get(['sys', 'files', '0', 'filename'])).to.equal('a.png');
    // Dify's file attributes: name is the filename, url the URL, the others as they are.
    expect(pool.get(['sys', 'files', '0', 'name'])).to.equal('a.png');
    expect(pool.get(['sys', 'files', '0', 'url'])).to.equal('http://x/a.png');
    expect(pool.get(['sys', 'files', '0', 'size'])).to.equal(12);
    expect(pool.get(['sys', 'files', '0', 'extension'])).to.equal(undefined);
    expect(pool.get(['llm', 'structured_output', 'missing'])).to.equal(undefined);
    expect(pool.get(['llm', 'text', 'length'])).to.equal(undefined); // no path into a string
    expect(pool.get(['llm'])).to.equal(undefined);
  });

  it('holds the sys, env and conversation namespaces', () => {
    expect(pool.get(['sys', 'query'])).to.equal('hi');
    expect(pool.get(['env', 'KEY'])).to.equal('k');
    expect(pool.get(['conversation', 'count'])).to.equal(2);
    expect(pool.has(['sys', 'conversation_id'])).to.equal(false);
  });

  it('gives child pools their own writes and their parent’s reads', () => {
    const child = pool.child();
    child.set('it', 'item', 3);
    child.set('conversation', 'count', 5);
    expect(child.get(['llm', 'text'])).to.equal('hello');
    expect(child.get(['conversation', 'count'])).to.equal(5);
    expect(pool.get(['conversation', 'count'])).to.equal(2);
    expect(pool.get(['it', 'item'])).to.equal(undefined);
  });
});

describe('workflow templates', () => {
  const pool = new VariablePool({ system: { query: 'q' } });
  pool.setAll('n1', { s: 'text', num: 2.5, obj: { a: 1, b: [1, 'x', null], c: 'ü' }, arr: ['x', 'y'], none: null, yes: true });

  it('renders {{#node.var#}} as Dify: strings as they are, objects and arrays as json.dumps, null as empty', () => {
    expect(renderTemplate('{{#n1.s#}} {{#n1.num#}} {{#sys.query#}}', pool)).to.equal('text 2.5 q');
    expect(renderTemplate('{{#n1.obj#}}', pool)).to.equal('{"a": 1, "b": [1, "x", null], "c": "ü"}');
    expect(renderTemplate('{{#n1.arr#}}|{{#n1.none#}}|{{#n1.obj.b#}}', pool)).to.equal('["x", "y"]||[1, "x", null]');
  });

  it('renders a missing reference as its dotted selector, as Dify does, and leaves malformed ones alone', () => {
    expect(renderTemplate('a {{#n1.nope#}} b {{#ghost.x.y#}}', pool)).to.equal('a n1.nope b ghost.x.y');
    expect(renderTemplate('{{#n1#}} {{ n1.s }} {{#1.2.3.4.5.6.7.8.9.10.11.12#}}', pool)).to.equal('{{#n1#}} {{ n1.s }} {{#1.2.3.4.5.6.7.8.9.10.11.12#}}');
  });

  it('lists the selectors a template reads', () => {
    expect(templateSelectors('x {{#a.b#}} {{#sys.query#}} {{#c.d.e#}}')).to.deep.equal([['a', 'b'], ['sys', 'query'], ['c', 'd', 'e']]);
    expect(segmentText(false)).to.equal('false');
  });
});

describe('workflow value types', () => {
  it('infers Dify’s segment types', () => {
    expect([inferType('a'), inferType(1), inferType(1.5), inferType(true), inferType({}), inferType(file), inferType(null)]).to.deep.equal(['string', 'integer', 'float', 'boolean', 'object', 'file', 'none']);
    expect([inferType(['a']), inferType([1, 2.5]), inferType([{}]), inferType([file]), inferType([1, 'a']), inferType([])]).to.deep.equal(['array[string]', 'array[number]', 'array[object]', 'array[file]', 'array[any]', 'array[any]']);
  });

  it('checks outputs against a declared type, within Dify’s default limits', () => {
    expect(checkValue('x', 'string')).to.equal(undefined);
    expect(checkValue(1, 'string')).to.match(/must be a string/);
    expect(checkValue('x'.repeat(80_001), 'string')).to.match(/longer than 80000/);
    expect(checkValue(1.5, 'integer')).to.match(/integer/);
    expect(checkValue(Array.from({ length: 31 }, () => 'a'), 'array[string]')).to.match(/more than 30 items/);
    expect(checkValue(Array.from({ length: 1000 }, () => 1), 'array[number]')).to.equal(undefined);
    expect(checkValue([1, 'a'], 'array[number]')).to.match(/item 1 must be a number/);
    expect(checkValue({ a: { b: { c: { d: { e: { f: 1 } } } } } }, 'object')).to.match(/deeper than 5/);
    expect(checkValue(file, 'file')).to.equal(undefined);
    expect(checkValue(null, 'number')).to.equal(undefined);
  });

  it('limits one variable to MAX_VARIABLE_SIZE bytes (200 KB)', () => {
    expect(DEFAULT_VARIABLE_LIMITS.maxVariableSize).to.equal(204_800);
    expect(checkSize('a'.repeat(204_800), DEFAULT_VARIABLE_LIMITS)).to.equal(undefined);
    expect(checkSize('a'.repeat(204_801), DEFAULT_VARIABLE_LIMITS)).to.match(/204801 bytes/);
    expect(checkSize('ü'.repeat(102_401), DEFAULT_VARIABLE_LIMITS)).to.match(/204802 bytes/);
    expect(checkSize({ big: 'x'.repeat(300_000) }, { ...DEFAULT_VARIABLE_LIMITS })).to.match(/over the 204800-byte limit/);
  });
});
