/**
 * A streamed answer kept as blocks (issue #14: re-rendering the whole answer
 * on every delta made the preview quadratic in its length). Only the last
 * block grows; the blocks before it are finished and never change again, so
 * the view re-renders one short block per frame instead of the whole answer.
 *
 * A block ends at a paragraph break outside a fenced code block; a block that
 * grows past {@link MAX_BLOCK} without one ends at its last line break (or
 * space), so no single block is ever long.
 */
export const MAX_BLOCK = 2048;

/** Appends `delta` to the last block of `blocks` (in place) and splits off what is finished. */
export function appendToBlocks(blocks: string[], delta: string): void {
  if (!delta) return;
  if (!blocks.length) blocks.push('');
  let last = blocks[blocks.length - 1]! + delta;
  for (let cut = splitPoint(last); cut > 0 && cut < last.length; cut = splitPoint(last)) {
    blocks[blocks.length - 1] = last.slice(0, cut);
    last = last.slice(cut);
    blocks.push(last);
  }
  blocks[blocks.length - 1] = last;
}

/** Where `block` may end: after its last paragraph break outside a code fence, else (when too long) after a line break or space; 0 for nowhere. */
function splitPoint(block: string): number {
  let cut = 0;
  let fenced = false;
  let lineStart = 0;
  for (let i = block.indexOf('\n'); i >= 0; i = block.indexOf('\n', i + 1)) {
    if (/^\s{0,3}(```|~~~)/.test(block.slice(lineStart, i))) fenced = !fenced;
    lineStart = i + 1;
    if (!fenced && block[i + 1] === '\n') cut = i + 2;
  }
  if (cut > 0 || block.length <= MAX_BLOCK) return cut;
  const line = block.lastIndexOf('\n', block.length - 2);
  if (line > 0) return line + 1;
  const space = block.lastIndexOf(' ', block.length - 2);
  return space > 0 ? space + 1 : 0;
}
