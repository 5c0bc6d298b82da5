import type { FormItem } from '@/api/types';

/**
 * `inputs` for an API example: every required field of the app's
 * user_input_form with a placeholder the API accepts (issue #14: an example
 * with `"inputs": {}` failed with 400 for any app with a required input).
 * The field's default when it has one, else a value of the field's type.
 */
export function exampleInputs(form: readonly FormItem[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const item of form) {
    const type = Object.keys(item)[0];
    const field = Object.values(item)[0];
    if (!type || !field?.variable || !field.required) continue;
    const given = field.default;
    const hasDefault = given !== undefined && given !== null && given !== '';
    switch (type) {
      case 'select': {
        const options = field.options ?? [];
        inputs[field.variable] = hasDefault && options.includes(String(given)) ? given : (options[0] ?? '');
        break;
      }
      case 'number':
        inputs[field.variable] = hasDefault && Number.isFinite(Number(given)) ? Number(given) : 1;
        break;
      case 'checkbox':
        inputs[field.variable] = hasDefault ? given === true || given === 'true' : true;
        break;
      case 'file':
        inputs[field.variable] = { type: 'document', transfer_method: 'remote_url', url: 'https://example.com/file.pdf' };
        break;
      case 'file-list':
        inputs[field.variable] = [{ type: 'document', transfer_method: 'remote_url', url: 'https://example.com/file.pdf' }];
        break;
      default: {
        const text = hasDefault ? String(given) : field.variable;
        inputs[field.variable] = field.max_length ? text.slice(0, field.max_length) : text;
      }
    }
  }
  return inputs;
}

/** `text` as one single-quoted shell word (a `'` inside becomes `'\''`). */
export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
