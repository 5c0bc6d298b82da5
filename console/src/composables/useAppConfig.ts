import type { FormItem, ModelConfig } from '@/api/types';

/** `{{name}}` placeholders of a prompt (Dify's variable syntax). */
export function promptVariables(prompt: string): string[] {
  return [...new Set([...prompt.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!))];
}

/**
 * `text` with each `{{name}}` replaced by its input's value (Dify fills the opening statement so);
 * a placeholder whose input is still empty stays as written, so the reader sees what is missing.
 */
export function fillVariables(text: string, inputs: Record<string, unknown>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (placeholder, name: string) => (isEmpty(inputs[name]) ? placeholder : String(inputs[name])));
}

/** An input with no value: what a required field may not be when a message is sent. */
export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && !value.trim());
}

/** Variables used in the prompt that the input form does not define yet (`query` is built in for completion apps). */
export function missingVariables(config: ModelConfig, mode: string): string[] {
  const defined = new Set((config.user_input_form ?? []).map((i) => Object.values(i)[0]!.variable));
  return promptVariables(config.pre_prompt ?? '').filter((v) => !defined.has(v) && !(mode === 'completion' && v === 'query'));
}

export function textInput(variable: string): FormItem {
  return { 'text-input': { label: variable.replace(/_/g, ' '), variable, required: true, max_length: 256, default: '' } };
}

/** The draft the form edits: every key the form touches present, so inputs can bind to it. */
export function editable(config: ModelConfig | undefined): Required<Pick<ModelConfig, 'model' | 'pre_prompt' | 'user_input_form' | 'opening_statement' | 'suggested_questions' | 'suggested_questions_after_answer' | 'memory' | 'agent_mode' | 'sensitive_word_avoidance' | 'more_like_this'>> & ModelConfig {
  // A deep copy the form may change freely (the store's object is a reactive proxy: structuredClone refuses those).
  const c = JSON.parse(JSON.stringify(config ?? {})) as ModelConfig;
  return {
    ...c,
    model: c.model ?? { provider: '', name: '', mode: 'chat', completion_params: {} },
    pre_prompt: c.pre_prompt ?? '',
    user_input_form: c.user_input_form ?? [],
    opening_statement: c.opening_statement ?? '',
    suggested_questions: c.suggested_questions ?? [],
    suggested_questions_after_answer: c.suggested_questions_after_answer ?? { enabled: false },
    memory: c.memory ?? { max_tokens: 2000 },
    agent_mode: c.agent_mode ?? { enabled: false, strategy: 'function_call', max_iteration: 5, tools: [] },
    sensitive_word_avoidance: c.sensitive_word_avoidance ?? { enabled: false, type: 'keywords', configs: { keywords: '' } },
    more_like_this: c.more_like_this ?? { enabled: false },
  };
}
