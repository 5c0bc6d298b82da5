import { InputError, TesseraError } from '../errors.js';
import { parse } from '../schema-check.js';
import { AppConfigSchema } from './config-schema.js';

/**
 * An app's configuration, in Dify's easy-UI `model_config` form so the DSL and
 * existing tooling carry over unchanged. Every key has a default; saving a
 * partial config merges it over them.
 */
export interface ModelSettings {
  provider: string;
  name: string;
  mode: 'chat' | 'completion';
  completion_params: Record<string, unknown>;
}

export type FormFieldType = 'text-input' | 'paragraph' | 'select' | 'number' | 'checkbox' | 'file' | 'file-list';
export const FORM_FIELD_TYPES: readonly FormFieldType[] = ['text-input', 'paragraph', 'select', 'number', 'checkbox', 'file', 'file-list'];

export interface FormField {
  label: string;
  variable: string;
  required: boolean;
  max_length?: number;
  default?: unknown;
  options?: string[];
  allowed_file_types?: string[];
  allowed_file_extensions?: string[];
  allowed_file_upload_methods?: string[];
  max_files?: number;
}

/** One `user_input_form` entry: `{ "<type>": field }`. */
export type FormEntry = Partial<Record<FormFieldType, FormField>>;

export interface AgentTool {
  provider_id: string;
  provider_type: string;
  provider_name?: string;
  tool_name: string;
  tool_parameters: Record<string, unknown>;
  enabled: boolean;
}

export interface AppConfig {
  model: ModelSettings;
  pre_prompt: string;
  prompt_type: 'simple';
  user_input_form: FormEntry[];
  opening_statement: string;
  suggested_questions: string[];
  suggested_questions_after_answer: { enabled: boolean };
  memory: { max_tokens: number };
  file_upload: {
    enabled: boolean;
    allowed_file_types: string[];
    allowed_file_extensions: string[];
    allowed_file_upload_methods: string[];
    number_limits: number;
    image: { enabled: boolean; number_limits: number; detail: 'high' | 'low'; transfer_methods: string[] };
  };
  sensitive_word_avoidance: {
    enabled: boolean;
    /** `openai_moderation` is Dify's name for provider moderation (with OpenAI's defaults); it works like `moderation`. */
    type: 'keywords' | 'moderation' | 'openai_moderation';
    configs: {
      keywords?: string;
      /** `moderation`/`openai_moderation` type: a provider offering a moderation model (default `openai`), and the model (default `omni-moderation-latest`). */
      provider?: string;
      model?: string;
      inputs_config: { enabled: boolean; preset_response: string };
      outputs_config: { enabled: boolean; preset_response: string };
    };
  };
  annotation_reply: { enabled: boolean; score_threshold: number; embedding_model?: { embedding_provider_name: string; embedding_model_name: string } };
  agent_mode: { enabled: boolean; strategy: 'function_call' | 'react'; max_iteration: number; tools: AgentTool[] };
  more_like_this: { enabled: boolean };
  speech_to_text: { enabled: boolean };
  text_to_speech: { enabled: boolean; voice?: string; language?: string };
  retriever_resource: { enabled: boolean };
  dataset_configs: Record<string, unknown>;
}

export function defaultConfig(mode: string): AppConfig {
  return {
    model: { provider: '', name: '', mode: 'chat', completion_params: { temperature: 0.7 } },
    pre_prompt: mode === 'completion' ? '{{query}}' : '',
    prompt_type: 'simple',
    user_input_form: mode === 'completion' ? [{ paragraph: { label: 'Query', variable: 'query', required: true, max_length: 10_000, default: '' } }] : [],
    opening_statement: '',
    suggested_questions: [],
    suggested_questions_after_answer: { enabled: false },
    memory: { max_tokens: 2000 },
    file_upload: {
      enabled: false,
      allowed_file_types: ['image'],
      allowed_file_extensions: [],
      allowed_file_upload_methods: ['local_file', 'remote_url'],
      number_limits: 3,
      image: { enabled: false, number_limits: 3, detail: 'high', transfer_methods: ['local_file', 'remote_url'] },
    },
    sensitive_word_avoidance: {
      enabled: false,
      type: 'keywords',
      configs: { keywords: '', inputs_config: { enabled: true, preset_response: 'Your input contains content that cannot be processed.' }, outputs_config: { enabled: true, preset_response: 'The answer contains content that cannot be shown.' } },
    },
    annotation_reply: { enabled: false, score_threshold: 0.9 },
    agent_mode: { enabled: mode === 'agent-chat', strategy: 'function_call', max_iteration: 5, tools: [] },
    more_like_this: { enabled: false },
    speech_to_text: { enabled: false },
    text_to_speech: { enabled: false },
    retriever_resource: { enabled: false },
    dataset_configs: { retrieval_model: 'multiple', datasets: { datasets: [] } },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars in `patch` replace. */
function merge<T>(base: T, patch: unknown): T {
  if (!isObject(base) || !isObject(patch)) return (patch === undefined ? base : patch) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = isObject(out[key]) && isObject(value) ? merge(out[key], value) : value;
  }
  return out as T;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Merges `patch` over `base` (or the mode's defaults) and checks the result
 * against the one config schema (config-schema.ts); 400 `invalid_param` naming
 * the field (`model_config.…`) for anything a generation could trip on. The
 * checks here are what a schema cannot say: form entries' shape and unique
 * variable names, and the values Dify sends that we map (an unknown model mode
 * or agent strategy, a missing label).
 */
export function normalizeConfig(mode: string, patch: unknown, base: AppConfig = defaultConfig(mode)): AppConfig {
  if (patch !== undefined && patch !== null && !isObject(patch)) throw new InputError('model_config must be an object.', 'model_config');
  const config = merge(base, patch ?? {});
  if (isObject(config.model) && config.model.mode !== 'chat' && config.model.mode !== 'completion') config.model.mode = 'chat';
  if (Array.isArray(config.user_input_form)) {
    const seen = new Set<string>();
    config.user_input_form.forEach((entry, i) => {
      const [type, field] = isObject(entry) ? (Object.entries(entry)[0] ?? []) : [];
      const where = `model_config.user_input_form[${i}]`;
      if (!type || Object.keys(entry).length !== 1 || !FORM_FIELD_TYPES.includes(type as FormFieldType) || !isObject(field)) throw new InputError(`Each form entry is {"<type>": {...}} with type one of ${FORM_FIELD_TYPES.join(', ')}.`, where);
      const f = field as unknown as FormField;
      if (typeof f.variable !== 'string' || !VARIABLE.test(f.variable)) throw new InputError('variable must be a name of letters, digits and _ (max 64).', `${where}.variable`);
      if (seen.has(f.variable)) throw new InputError(`Variable ${f.variable} is defined twice.`, `${where}.variable`);
      seen.add(f.variable);
      f.label = typeof f.label === 'string' && f.label ? f.label : f.variable;
      f.required = f.required === true;
      if (type === 'select' && (!Array.isArray(f.options) || f.options.some((o) => typeof o !== 'string'))) throw new InputError('A select needs options: a list of strings.', `${where}.options`);
    });
  }
  if (isObject(config.agent_mode)) {
    if (!['function_call', 'react'].includes(config.agent_mode.strategy)) config.agent_mode.strategy = 'function_call';
    if (mode === 'agent-chat') config.agent_mode.enabled = true;
  }
  return parse(AppConfigSchema, config, 'model_config', 'model_config') as AppConfig;
}

/** What each loaded config object's schema check found (the runnable cache hands out the same object per version). */
const storedProblems = new WeakMap<AppConfig, TesseraError | null>();

/**
 * A stored config that breaks the schema — saved before the schema existed, or
 * edited in the database — makes its app unavailable with a coded 400 naming
 * the field (issue #14: `keywords: 5` made every chat a 500). Checked once per
 * loaded config.
 */
export function checkStoredConfig(config: AppConfig): void {
  let problem = storedProblems.get(config);
  if (problem === undefined) {
    try {
      parse(AppConfigSchema, config, 'model_config', 'model_config');
      problem = null;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problem = new TesseraError(400, 'app_unavailable', `App unavailable, please check your app configurations: ${error.message}`);
    }
    storedProblems.set(config, problem);
  }
  if (problem) throw problem;
}

/** Parses a stored config, tolerating older rows by merging over the defaults. */
export function loadConfig(mode: string, stored: string): AppConfig {
  try {
    return merge(defaultConfig(mode), JSON.parse(stored) as unknown);
  } catch {
    return defaultConfig(mode);
  }
}

export function formFields(config: AppConfig): Array<{ type: FormFieldType; field: FormField }> {
  return config.user_input_form.flatMap((entry) => {
    const [type, field] = Object.entries(entry)[0] ?? [];
    return type && field ? [{ type: type as FormFieldType, field }] : [];
  });
}

/** `GET /parameters`: the parts of a config a client needs to render the app. */
export function parametersView(config: AppConfig, limits: { fileSizeMb: number; imageSizeMb: number }) {
  return {
    opening_statement: config.opening_statement,
    suggested_questions: config.suggested_questions,
    suggested_questions_after_answer: config.suggested_questions_after_answer,
    speech_to_text: config.speech_to_text,
    text_to_speech: config.text_to_speech,
    retriever_resource: config.retriever_resource,
    annotation_reply: { enabled: config.annotation_reply.enabled },
    more_like_this: config.more_like_this,
    user_input_form: config.user_input_form,
    sensitive_word_avoidance: { enabled: config.sensitive_word_avoidance.enabled, type: config.sensitive_word_avoidance.type, configs: [] },
    file_upload: { ...config.file_upload, image: config.file_upload.image },
    system_parameters: { file_size_limit: limits.fileSizeMb, image_file_size_limit: limits.imageSizeMb, audio_file_size_limit: 50, video_file_size_limit: 100, workflow_file_upload_limit: 10 },
  };
}
