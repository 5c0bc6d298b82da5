import type { ChatMessage } from '@tessera/sdk';

/**
 * ReAct, for models without function calling: the tools are described in the
 * system prompt, the model answers in a Thought / Action / Action Input or
 * Thought / Final Answer text format, and the kernel runs the action and sends
 * its result back as an `Observation:`.
 */

export interface ReactTool {
  readonly name: string;
  readonly description: string;
  readonly parameters: unknown;
}

/** Generation stops here: the observation is the kernel's to write, not the model's. */
export const REACT_STOP = 'Observation:';

export function reactInstructions(tools: readonly ReactTool[]): string {
  const list = tools.map((t) => `- ${t.name}: ${t.description}\n  Arguments (JSON Schema): ${JSON.stringify(t.parameters)}`).join('\n');
  return [
    'Answer the user as helpfully and accurately as you can. You can use these tools:',
    '',
    list,
    '',
    'To use a tool, reply in exactly this format, then stop:',
    '',
    'Thought: what you think and why you need the tool',
    `Action: the tool's name, one of [${tools.map((t) => t.name).join(', ')}]`,
    'Action Input: the arguments, as one JSON object',
    '',
    `You then get the tool's result as "${REACT_STOP} ...". Use tools as many times as you need, one at a time.`,
    'When you know the answer, or need no tool, reply in this format:',
    '',
    'Thought: what you think',
    "Final Answer: your answer to the user, in the user's language",
  ].join('\n');
}

/** The turn's messages with the ReAct instructions added to (or as) the system prompt. */
export function reactMessages(messages: readonly ChatMessage[], instructions: string): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${instructions}` }, ...rest];
  return [{ role: 'system', content: instructions }, ...messages];
}

/** Sent when the agent has used all its iterations: no more actions. */
export const REACT_FINAL_NUDGE = 'You have used the tools as many times as allowed. Do not use any more tools: reply now with "Final Answer:" and your best answer from what you know.';

export interface ReactAction {
  readonly name: string;
  /** A parsed JSON value, or the raw text when it is not JSON. */
  readonly input: unknown;
}

export interface ReactStep {
  /** The model's reasoning, without the format's labels. */
  readonly thought: string;
  /** The requested tool call, when the reply asks for one. */
  readonly action?: ReactAction;
  /** The final answer, when the reply gives one (or is not in the format at all). */
  readonly answer?: string;
  /** Answer text not streamed by `feed` yet (the stream could only be judged at its end). */
  readonly pending: string;
  /** The reply as the model wrote it, cut before any `Observation:` it made up. */
  readonly text: string;
}

const FINAL = /Final[ _]?Answer[ \t*]*:[ \t]*/i;
const ACTION = /(?:^|\n)[ \t*]*Action[ \t*]*:[ \t]*([^\n]*)/i;
const ACTION_INPUT = /(?:^|\n)[ \t*]*Action[ _]?Input[ \t*]*:[ \t]*([\s\S]*)$/i;
const OBSERVATION = /\n[ \t*]*Observation[ \t*]*:/i;

/**
 * Parses a streamed ReAct reply. `feed` returns the text that can be shown to
 * the user at once: what follows `Final Answer:` (unless an action came first);
 * everything else waits for `finish`.
 */
export class ReactParser {
  private text = '';
  private answerAt = -1;
  private shown = '';

  feed(delta: string): string {
    this.text += delta;
    if (this.answerAt < 0) {
      const final = FINAL.exec(this.text);
      if (!final || ACTION.test(this.text.slice(0, final.index))) return '';
      this.answerAt = final.index + final[0].length;
      return this.show(this.text.slice(this.answerAt));
    }
    return this.show(delta);
  }

  finish(): ReactStep {
    const observation = OBSERVATION.exec(this.text);
    const text = (observation ? this.text.slice(0, observation.index) : this.text).trim();
    if (this.answerAt >= 0) {
      const answer = this.text.slice(this.answerAt).trim();
      return { thought: cleanThought(this.text.slice(0, this.answerAt).replace(FINAL, '')), answer, pending: '', text };
    }
    const blob = jsonAction(text);
    const line = blob ? undefined : ACTION.exec(text);
    if (blob || (line && line[1]!.trim())) {
      const action: ReactAction = blob ?? { name: cleanName(line![1]!), input: parseInput(ACTION_INPUT.exec(text)?.[1] ?? '') };
      const thought = cleanThought(text.slice(0, blob ? text.indexOf('{') : line!.index).replace(/(?:\s*(?:```(?:json)?|Action[ \t*]*:))*\s*$/i, ''));
      if (/^final[ _]?answer$/i.test(action.name)) {
        const answer = typeof action.input === 'string' ? action.input : JSON.stringify(action.input);
        return { thought, answer, pending: answer, text };
      }
      return { thought, action, pending: '', text };
    }
    // Not in the format: the whole reply is the answer.
    const answer = cleanThought(text.replace(FINAL, '\n'));
    return { thought: '', answer, pending: answer, text };
  }

  private show(piece: string): string {
    const out = this.shown ? piece : piece.trimStart();
    this.shown += out;
    return out;
  }
}

function cleanThought(text: string): string {
  return text.replace(/^[ \t*]*Thought[ \t*]*:[ \t]*/gim, '').trim();
}

function cleanName(raw: string): string {
  return raw.trim().replace(/^[`"'[(]+|[`"'\])]+$/g, '').trim();
}

/** `{"action": "...", "action_input": {...}}`, as Dify's ReAct prompt asks for, possibly in a code fence. */
function jsonAction(text: string): ReactAction | undefined {
  const start = text.indexOf('{');
  if (start < 0 || !/"action"\s*:/.test(text)) return undefined;
  const value = parseJsonObject(text.slice(start));
  if (!value || typeof value.action !== 'string') return undefined;
  return { name: cleanName(value.action), input: value.action_input ?? {} };
}

function parseInput(raw: string): unknown {
  const text = raw.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```[\s\S]*$/, '').trim();
  if (text.startsWith('{')) return parseJsonObject(text) ?? text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The first balanced `{…}` of `text`, parsed; undefined when it is not a JSON object. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        const value = JSON.parse(text.slice(0, i + 1)) as unknown;
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
