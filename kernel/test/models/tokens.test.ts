import { expect } from 'chai';
import { estimateChatTokens } from '../../src/models/tokens.js';

describe('token estimates', () => {
  it('counts a chat the way OpenAI bills it: per-message framing plus the BPE tokens of the text', async () => {
    // "Hello world" is 2 tokens in both o200k and cl100k; 3 for the reply priming, 4 per message.
    expect(await estimateChatTokens('gpt-4o', [{ role: 'user', content: 'Hello world' }])).to.equal(9);
    expect(await estimateChatTokens('gpt-4', [{ role: 'system', content: 'Hello world' }, { role: 'user', content: 'Hello world' }])).to.equal(15);
  });

  it('grows with tools, tool calls and images', async () => {
    const base = await estimateChatTokens('gpt-4o', [{ role: 'user', content: 'What is the weather?' }]);
    const tools = [{ type: 'function' as const, function: { name: 'weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    expect(await estimateChatTokens('gpt-4o', [{ role: 'user', content: 'What is the weather?' }], tools)).to.be.greaterThan(base + 10);
    const withImage = await estimateChatTokens('gpt-4o', [{ role: 'user', content: [{ type: 'text', text: 'What is the weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }]);
    expect(withImage).to.equal(base + 85);
  });
});
