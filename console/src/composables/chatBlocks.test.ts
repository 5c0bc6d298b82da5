import { expect } from 'chai';
import { appendToBlocks, MAX_BLOCK } from './chatBlocks.js';

describe('appendToBlocks (the preview’s streamed answer, issue #14)', () => {
  const feed = (...deltas: string[]) => {
    const blocks: string[] = [];
    for (const d of deltas) appendToBlocks(blocks, d);
    return blocks;
  };

  it('keeps every delta in order, whatever the cuts', () => {
    const deltas = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? '\n\n' : i % 5 === 0 ? '\n' : ' ') + `w${i}`);
    expect(feed(...deltas).join('')).to.equal(deltas.join(''));
  });

  it('ends a block at a paragraph break and leaves the finished blocks alone', () => {
    const blocks = feed('Hello', ' world.\n', '\nSecond');
    expect(blocks).to.deep.equal(['Hello world.\n\n', 'Second']);
    const first = blocks[0];
    appendToBlocks(blocks, ' paragraph.');
    expect(blocks[0]).to.equal(first);
    expect(blocks[1]).to.equal('Second paragraph.');
  });

  it('does not cut inside a fenced code block', () => {
    const blocks = feed('```js\nconst a = 1;\n\nconst b = 2;\n```\n', '\nafter');
    expect(blocks).to.deep.equal(['```js\nconst a = 1;\n\nconst b = 2;\n```\n\n', 'after']);
  });

  it('cuts a long block without paragraph breaks at a line break or space', () => {
    const blocks = feed(...Array.from({ length: 2000 }, (_, i) => ` word${i}`));
    expect(blocks.length).to.be.greaterThan(5);
    for (const b of blocks) expect(b.length).to.be.at.most(MAX_BLOCK + 16);
  });
});
