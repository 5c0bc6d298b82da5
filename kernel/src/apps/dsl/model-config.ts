import { defaultConfig, FORM_FIELD_TYPES, type FormFieldType } from '../config.js';
import { clean, type DslMode, isEmpty, isObject } from './common.js';

/** A DSL's `model_config` (Dify's easy-UI form) onto what normalizeConfig accepts. Pure. */

const AGENT_TOOL_KEYS = ['provider_id', 'provider_type', 'provider_name', 'tool_name', 'tool_parameters', 'enabled'] as const;
/** Tool entry keys Dify writes that mean nothing here: workspace-local credential ids and UI state. */
const AGENT_TOOL_IGNORED = new Set(['credential_id', 'credential_type', 'tool_label', 'notAuthor', 'isDeleted', 'plugin_unique_identifier']);

/**
 * Maps a DSL `model_config` onto what normalizeConfig accepts: keys we do not
 * know are dropped (a warning unless empty), Dify-only values translated.
 */
export function sanitizeModelConfig(mode: DslMode, raw: Record<string, unknown>): { config: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const source = clean(raw) as Record<string, unknown>;
  const known = new Set(Object.keys(defaultConfig(mode)));
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (known.has(key)) config[key] = value;
    else if (!isEmpty(value) && !(key === 'chat_prompt_config' || key === 'completion_prompt_config')) warnings.push(`model_config.${key} is not supported and was dropped.`);
  }

  // Advanced (expert) prompt mode is not supported: keep a simple prompt, from the advanced one if need be.
  if (config.prompt_type !== undefined && config.prompt_type !== 'simple') {
    const advanced = advancedPromptText(mode, source);
    if (config.prompt_type === 'advanced' && advanced !== undefined && (typeof config.pre_prompt !== 'string' || config.pre_prompt === '')) {
      config.pre_prompt = advanced;
      warnings.push('Advanced prompt mode is not supported: the app was imported in simple mode with the advanced prompt’s system text as its prompt; review it.');
    } else {
      warnings.push(`prompt_type ${JSON.stringify(config.prompt_type)} is not supported: the app was imported in simple mode.`);
    }
    config.prompt_type = 'simple';
  } else if (!isEmpty(source.chat_prompt_config) || !isEmpty(source.completion_prompt_config)) {
    warnings.push('model_config.chat_prompt_config / completion_prompt_config (advanced prompt) are not supported and were dropped.');
  }

  if (Array.isArray(config.user_input_form)) {
    config.user_input_form = config.user_input_form.filter((entry, i) => {
      const type = isObject(entry) ? Object.keys(entry)[0] : undefined;
      if (type && FORM_FIELD_TYPES.includes(type as FormFieldType)) return true;
      const variable = type && isObject(entry) && isObject(entry[type]) ? (entry[type] as Record<string, unknown>).variable : undefined;
      warnings.push(`user_input_form[${i}]${variable ? ` (${String(variable)})` : ''} of type ${JSON.stringify(type ?? null)} is not supported and was dropped.`);
      return false;
    });
  }

  const moderation = config.sensitive_word_avoidance;
  if (isObject(moderation)) {
    delete moderation.config; // Dify's empty default; the settings live in `configs`.
    if (moderation.configs !== undefined && !isObject(moderation.configs)) {
      // Dify's UI writes `configs: []` for "never configured".
      if (!isEmpty(moderation.configs)) warnings.push('sensitive_word_avoidance.configs is not an object and was dropped.');
      delete moderation.configs;
    }
    if (moderation.type !== undefined && !['keywords', 'moderation', 'openai_moderation'].includes(moderation.type as string)) {
      if (moderation.enabled === true) warnings.push(`sensitive_word_avoidance of type ${JSON.stringify(moderation.type)} is not supported: it was imported disabled.`);
      moderation.enabled = false;
      delete moderation.type;
    }
  }

  const annotation = config.annotation_reply;
  if (isObject(annotation)) delete annotation.id; // the source workspace's annotation setting id

  const agent = config.agent_mode;
  if (isObject(agent)) {
    if (!isEmpty(agent.prompt)) warnings.push('agent_mode.prompt (a custom ReAct prompt) is not supported and was dropped.');
    delete agent.prompt;
    if (Array.isArray(agent.tools)) {
      agent.tools = agent.tools.flatMap((tool, i) => {
        if (!isObject(tool) || typeof tool.provider_id !== 'string' || typeof tool.tool_name !== 'string') {
          const kind = isObject(tool) ? Object.keys(tool)[0] : undefined;
          warnings.push(`agent_mode.tools[${i}]${kind ? ` (${kind})` : ''} is not a provider tool and was dropped.`);
          return [];
        }
        const kept: Record<string, unknown> = { provider_type: 'builtin', tool_parameters: {}, enabled: true };
        for (const key of AGENT_TOOL_KEYS) if (tool[key] !== undefined) kept[key] = tool[key];
        const dropped = Object.keys(tool).filter((k) => !(AGENT_TOOL_KEYS as readonly string[]).includes(k) && !AGENT_TOOL_IGNORED.has(k) && !isEmpty(tool[k]));
        if (dropped.length) warnings.push(`agent_mode.tools[${i}] (${tool.tool_name}): ${dropped.join(', ')} not supported and dropped.`);
        return [kept];
      });
    }
  }

  const datasets = isObject(config.dataset_configs) && isObject(config.dataset_configs.datasets) ? config.dataset_configs.datasets.datasets : undefined;
  if (Array.isArray(datasets) && datasets.length > 0) {
    warnings.push(`The app uses ${datasets.length} knowledge base(s) by id from its source workspace; they were kept and must exist in this workspace.`);
  }
  return { config, warnings };
}

/** The text of an advanced prompt's system message (chat) or template (completion), if any. */
function advancedPromptText(mode: DslMode, source: Record<string, unknown>): string | undefined {
  const completion = source.completion_prompt_config;
  if (mode === 'completion' && isObject(completion) && isObject(completion.prompt) && typeof completion.prompt.text === 'string') return completion.prompt.text;
  const chat = source.chat_prompt_config;
  if (isObject(chat) && Array.isArray(chat.prompt)) {
    const system = chat.prompt.find((m) => isObject(m) && m.role === 'system' && typeof m.text === 'string') as { text: string } | undefined;
    return system?.text;
  }
  return undefined;
}
