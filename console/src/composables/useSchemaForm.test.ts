import { expect } from 'chai';
import { fieldKind, fieldLabel, fieldOrder, missingRequired } from './useSchemaForm.js';

describe('forms from JSON Schema', () => {
  const schema = {
    type: 'object',
    required: ['expression'],
    properties: {
      models: { type: 'string' },
      precision: { type: 'integer', minimum: 0 },
      base_url: { type: 'string', title: 'Base URL', default: 'https://api.openai.com/v1' },
      api_key: { type: 'string', 'x-secret': true },
      expression: { type: 'string' },
      api_type: { type: 'string', enum: ['openai', 'azure'] },
      flags: { type: 'array', items: { type: 'string' } },
      on: { type: 'boolean' },
    },
  };

  it('picks a control per property type', () => {
    const kinds = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, fieldKind(s)]));
    expect(kinds).to.deep.equal({ models: 'text', precision: 'integer', base_url: 'text', api_key: 'secret', expression: 'text', api_type: 'enum', flags: 'json', on: 'boolean' });
  });

  it('labels a field by its title, else its name made readable', () => {
    expect(fieldLabel('base_url', schema.properties.base_url)).to.equal('Base URL');
    expect(fieldLabel('api_key', {})).to.equal('Api key');
    expect(fieldLabel('maxTokens', {})).to.equal('Max Tokens');
  });

  it('orders required fields first, then secrets, then fields with defaults', () => {
    expect(fieldOrder(schema).map(([name]) => name)).to.deep.equal(['expression', 'api_key', 'base_url', 'models', 'precision', 'api_type', 'flags', 'on']);
  });

  it('names the required fields left empty', () => {
    expect(missingRequired(schema, { expression: '' })).to.deep.equal(['Expression']);
    expect(missingRequired(schema, { expression: '1+1' })).to.deep.equal([]);
  });
});
