import { expect } from 'chai';
import { exampleInputs, shellQuote } from './exampleInputs.js';

describe('exampleInputs (the API page’s curl examples, issue #14)', () => {
  it('fills each required field with a value of its type and leaves optional ones out', () => {
    expect(
      exampleInputs([
        { 'text-input': { label: 'Company', variable: 'company', required: true, max_length: 4 } },
        { select: { label: 'Tier', variable: 'tier', required: true, options: ['free', 'pro'] } },
        { number: { label: 'Seats', variable: 'seats', required: true } },
        { checkbox: { label: 'Agree', variable: 'agree', required: true } },
        { paragraph: { label: 'Notes', variable: 'notes', required: false } },
      ]),
    ).to.deep.equal({ company: 'comp', tier: 'free', seats: 1, agree: true });
  });

  it('uses a field’s default when the API would accept it', () => {
    expect(
      exampleInputs([
        { 'text-input': { label: 'Company', variable: 'company', required: true, default: 'Acme' } },
        { select: { label: 'Tier', variable: 'tier', required: true, options: ['free', 'pro'], default: 'pro' } },
        { select: { label: 'Old', variable: 'old', required: true, options: ['a'], default: 'gone' } },
        { number: { label: 'Seats', variable: 'seats', required: true, default: '5' } },
      ]),
    ).to.deep.equal({ company: 'Acme', tier: 'pro', old: 'a', seats: 5 });
  });

  it('quotes for a shell', () => {
    expect(shellQuote(`{"a":"it's"}`)).to.equal(`'{"a":"it'\\''s"}'`);
  });
});
