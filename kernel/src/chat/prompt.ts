import type { ChatMessage, ContentPart } from '@tessera/sdk';
import { InputError } from '../errors.js';
import { estimateChatTokens } from '../models/tokens.js';
import { type AppConfig, formFields } from '../apps/config.js';
import type { PromptFile } from '../files/files.js';
import type { HistoryTurn } from '../runs/runner.js';

/**
 * Checks a request's `inputs` against the app's form and fills defaults.
 * Messages follow Dify's wording so clients that show them read the same.
 */
export function checkInputs(config: AppConfig, raw: unknown): Record<string, unknown> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw new InputError('inputs must be an object.', 'inputs');
  const given = (raw ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { type, field } of formFields(config)) {
    let value = given[field.variable];
    if (value === undefined || value === null || value === '') {
      if (field.required) throw new InputError(`${field.variable} is required in input form`, `inputs.${field.variable}`);
      value = field.default ?? (type === 'checkbox' ? false : type === 'file-list' ? [] : type === 'file' ? null : '');
      out[field.variable] = value;
      continue;
    }
    switch (type) {
      case 'text-input':
      case 'paragraph':
        if (typeof value !== 'string') throw new InputError(`${field.variable} in input form must be a string`, `inputs.${field.variable}`);
        if (field.max_length && value.length > field.max_length) throw new InputError(`${field.variable} in input form must be less than ${field.max_length} characters`, `inputs.${field.variable}`);
        break;
      case 'select':
        if (typeof value !== 'string' || !(field.options ?? []).includes(value)) throw new InputError(`${field.variable} in input form must be one of the following: ${JSON.stringify(field.options ?? [])}`, `inputs.${field.variable}`);
        break;
      case 'number': {
        const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
        if (!Number.isFinite(number)) throw new InputError(`${field.variable} in input form must be a valid number`, `inputs.${field.variable}`);
        value = number;
        break;
      }
      case 'checkbox':
        if (typeof value !== 'boolean') {
          if (value === 'true' || value === 'false') value = value === 'true';
          else throw new InputError(`${field.variable} in input form must be a boolean`, `inputs.${field.variable}`);
        }
        break;
      case 'file':
        if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${field.variable} in input form must be a file`, `inputs.${field.variable}`);
        break;
      case 'file-list':
        if (!Array.isArray(value)) throw new InputError(`${field.variable} in input form must be a list of files`, `inputs.${field.variable}`);
        break;
    }
    out[field.variable] = value;
  }
  return out;
}

const VARIABLE_REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Fills `{{name}}` with inputs; unknown names are left as written (so a literal `{{x}}` survives). */
export function render(template: string, inputs: Record<string, unknown>): string {
  return template.replace(VARIABLE_REF, (whole, name: string) => {
    if (!(name in inputs)) return whole;
    const value = inputs[name];
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : typeof value === 'object' ? '' : String(value);
  });
}

/** An image (or other file) attached to a turn, ready for the model. */
export type { HistoryTurn } from '../runs/runner.js';

function userContent(text: string, files: readonly PromptFile[], detail: 'high' | 'low'): string | ContentPart[] {
  const images = files.filter((f) => f.type === 'image');
  if (images.length === 0) return text;
  return [{ type: 'text', text }, ...images.map((f): ContentPart => ({ type: 'image_url', image_url: { url: f.url, detail } }))];
}

/**
 * Turns of the conversation that fit in `maxTokens`, newest kept first, returned
 * oldest → newest. Counting uses the tokenizer estimate: the budget is a bound
 * on what is sent, not a provider-exact figure.
 */
export async function fitMemory(model: string, turns: readonly HistoryTurn[], maxTokens: number): Promise<HistoryTurn[]> {
  const kept: HistoryTurn[] = [];
  let used = 0;
  for (const turn of turns) {
    const cost = await estimateChatTokens(model, [{ role: 'user', content: turn.query }, { role: 'assistant', content: turn.answer }]);
    if (used + cost > maxTokens) break;
    used += cost;
    kept.push(turn);
  }
  return kept.reverse();
}

/** The chat messages for one turn: system prompt, remembered turns, the user's message (with images). */
export function buildMessages(mode: string, config: AppConfig, inputs: Record<string, unknown>, query: string, history: readonly HistoryTurn[], files: readonly PromptFile[]): ChatMessage[] {
  const detail = config.file_upload.image.detail ?? 'high';
  if (mode === 'completion') {
    const prompt = render(config.pre_prompt, { ...inputs, query: inputs.query ?? query });
    return [{ role: 'user', content: userContent(prompt, files, detail) }];
  }
  const messages: ChatMessage[] = [];
  const system = render(config.pre_prompt, inputs).trim();
  if (system) messages.push({ role: 'system', content: system });
  for (const turn of history) {
    messages.push({ role: 'user', content: turn.query }, { role: 'assistant', content: turn.answer });
  }
  messages.push({ role: 'user', content: userContent(query, files, detail) });
  return messages;
}

/** Model parameters from `completion_params`, keeping only what the model runtime understands. */
export function modelParameters(params: Record<string, unknown>): { temperature?: number; top_p?: number; max_tokens?: number; stop?: string[] } {
  const out: { temperature?: number; top_p?: number; max_tokens?: number; stop?: string[] } = {};
  if (typeof params.temperature === 'number') out.temperature = params.temperature;
  if (typeof params.top_p === 'number') out.top_p = params.top_p;
  if (typeof params.max_tokens === 'number') out.max_tokens = params.max_tokens;
  if (Array.isArray(params.stop) && params.stop.every((s) => typeof s === 'string') && params.stop.length > 0) out.stop = params.stop as string[];
  return out;
}
