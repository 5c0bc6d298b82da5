/**
 * The answer node: its template rendered from the pool (Dify's AnswerNode). PURE.
 * Streamed as one chunk of `answer` for now; streaming parts in graph order while
 * an upstream LLM streams (Dify's response coordinator) comes with the runner.
 */
import type { NodeEvent } from '@tessera/sdk';
import type { GraphNode } from '../graph/types.js';
import type { NodeContext } from '../engine/events.js';
import { renderTemplate } from '../engine/template.js';

export async function* runAnswer(node: GraphNode, ctx: NodeContext): AsyncIterable<NodeEvent<Record<string, unknown>>> {
  const answer = renderTemplate(typeof node.data.answer === 'string' ? node.data.answer : '', ctx.pool);
  if (answer) yield { type: 'chunk', output: 'answer', text: answer };
  yield { type: 'result', result: { outputs: { answer, files: [] } } };
}
