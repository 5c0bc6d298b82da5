/**
 * Dify's comparison operators (SERVICE_API.md Part B, if-else), every one, with
 * missing values and template-rendered expected values.
 */
import { expect } from 'chai';
import { OPERATORS, compare, evaluateConditions } from '../../../src/workflows/engine/conditions.js';
import { VariablePool } from '../../../src/workflows/engine/variable-pool.js';

describe('workflow comparison operators', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['contains', 'hello world', 'lo w', true], ['contains', ['a', 'b'], 'b', true], ['contains', 'abc', 'x', false], ['contains', undefined, 'x', false],
    ['not contains', 'abc', 'x', true], ['not contains', ['a'], 'a', false], ['not contains', undefined, 'x', true],
    ['start with', 'abc', 'ab', true], ['start with', 'abc', 'b', false], ['end with', 'abc', 'bc', true], ['end with', 5, '5', false],
    ['is', 'a', 'a', true], ['is', 'a', 'b', false], ['is', 3, '3', true], ['is', true, 'true', true], ['is', undefined, '', false],
    ['is not', 'a', 'b', true], ['is not', 'a', 'a', false], ['is not', undefined, 'a', false],
    ['empty', '', undefined, true], ['empty', [], undefined, true], ['empty', {}, undefined, true], ['empty', undefined, undefined, true], ['empty', 'x', undefined, false], ['empty', 0, undefined, true], ['empty', false, undefined, true],
    ['not empty', 'x', undefined, true], ['not empty', [], undefined, false],
    ['in', 'b', ['a', 'b'], true], ['in', 'c', ['a', 'b'], false], ['in', 'b', '["a","b"]', true], ['not in', 'c', ['a', 'b'], true], ['not in', 'a', ['a'], false],
    ['all of', ['a', 'b', 'c'], ['a', 'c'], true], ['all of', ['a'], ['a', 'c'], false], ['all of', 'a', ['a'], false],
    ['=', 3, '3', true], ['=', '3', 3, true], ['≠', 3, '4', true], ['>', 5, '3', true], ['>', 2, '3', false], ['<', 2, '3', true], ['≥', 3, '3', true], ['≤', 4, '3', false],
    ['>', undefined, '3', false], ['>', 'abc', '3', false],
    ['null', undefined, undefined, true], ['null', null, undefined, true], ['null', 0, undefined, false], ['not null', 0, undefined, true],
    ['exists', 'x', undefined, true], ['exists', undefined, undefined, false], ['not exists', undefined, undefined, true],
  ];
  for (const [op, actual, expected, result] of cases) {
    it(`${JSON.stringify(actual)} ${op} ${JSON.stringify(expected)} is ${result}`, () => expect(compare(op, actual, expected)).to.equal(result));
  }

  it('covers every operator of Dify’s list', () => {
    expect([...new Set(cases.map((c) => c[0]))].sort()).to.deep.equal([...OPERATORS].sort());
    expect(() => compare('is about', 'a', 'b')).to.throw(/Unknown comparison operator 'is about'/);
  });

  it('combines conditions with and/or and renders templates in expected values', () => {
    const pool = new VariablePool();
    pool.setAll('s', { n: 7, limit: 5, name: 'Ada' });
    const gt = { variable_selector: ['s', 'n'], comparison_operator: '>', value: '{{#s.limit#}}' };
    const is = { variable_selector: ['s', 'name'], comparison_operator: 'is', value: 'Bob' };
    expect(evaluateConditions([gt, is], 'and', pool)).to.equal(false);
    expect(evaluateConditions([gt, is], 'or', pool)).to.equal(true);
    expect(evaluateConditions([], 'and', pool)).to.equal(false);
  });
});
