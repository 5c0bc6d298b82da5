/**
 * A figure for people (issue #14: costs were rounded to 0.00): whole numbers
 * with separators, amounts of 1 or more to two decimals, smaller ones to three
 * significant digits — $0.000036 stays 0.000036, and never becomes 3.6e-5.
 */
export function formatAmount(value: number, locale?: string): string {
  if (!Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return value.toLocaleString(locale);
  if (Math.abs(value) >= 1) return value.toLocaleString(locale, { maximumFractionDigits: 2 });
  return value.toLocaleString(locale, { maximumSignificantDigits: 3 });
}
