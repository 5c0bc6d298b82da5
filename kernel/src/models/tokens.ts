import type { ChatMessage, ChatTool } from '@tessera/sdk';

type Counter = (text: string) => number;
let o200k: Promise<Counter> | undefined;
let cl100k: Promise<Counter> | undefined;

/** The tokenizer tables ship with the package (offline) and load on first use only. */
function counter(model: string): Promise<Counter> {
  // GPT-3.5/GPT-4 (pre-4o) and OpenAI's text-embedding models use cl100k; newer and other models are estimated with o200k.
  if (/^(gpt-3\.5|gpt-4(?!o|\.1)|text-embedding)/.test(model)) return (cl100k ??= import('gpt-tokenizer/encoding/cl100k_base').then((m) => (text: string) => m.countTokens(text)));
  return (o200k ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => m.countTokens(text)));
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => ('text' in part && typeof part.text === 'string' ? part.text : '')).join('\n');
}

/** Image parts are counted at a flat 85 tokens (OpenAI's low-detail cost): an estimate, like everything here. */
const IMAGE_TOKENS = 85;

/**
 * Estimates the prompt tokens of a chat request with OpenAI's BPE tables,
 * following OpenAI's accounting (a few tokens of framing per message, tool
 * definitions as JSON). Exact for OpenAI models; for other providers a close
 * estimate, used where the provider cannot count (context-window budgeting).
 */
export async function estimateChatTokens(model: string, messages: readonly ChatMessage[], tools: readonly ChatTool[] = []): Promise<number> {
  const count = await counter(model);
  let total = 3; // every reply is primed with <|start|>assistant<|message|>
  for (const message of messages) {
    total += 4 + count(textOf(message.content));
    if (Array.isArray(message.content)) total += message.content.filter((p) => 'image_url' in p).length * IMAGE_TOKENS;
    if ('tool_calls' in message && message.tool_calls) for (const call of message.tool_calls) total += count(call.function.name) + count(call.function.arguments);
    if ('name' in message && typeof message.name === 'string') total += 1 + count(message.name);
  }
  if (tools.length > 0) total += 10 + count(JSON.stringify(tools));
  return total;
}
