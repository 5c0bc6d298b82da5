import { expect } from 'chai';
import { formatAmount } from './formatAmount.js';

describe('formatAmount (costs and other figures, issue #14)', () => {
  it('keeps the significant digits of a small cost instead of rounding it to 0.00', () => {
    expect(formatAmount(0.000123, 'en-US')).to.equal('0.000123');
    expect(formatAmount(0.000036, 'en-US')).to.equal('0.000036');
    expect(formatAmount(0.00000012345, 'en-US')).to.equal('0.000000123');
    expect(formatAmount(0.5, 'en-US')).to.equal('0.5');
  });
  it('rounds amounts of 1 or more to cents and groups whole numbers', () => {
    expect(formatAmount(12.3456, 'en-US')).to.equal('12.35');
    expect(formatAmount(1234567, 'en-US')).to.equal('1,234,567');
    expect(formatAmount(0, 'en-US')).to.equal('0');
  });
});
