import type { AppConfig } from './config.js';

/** The outcome of checking text against an app's sensitive-word settings. */
export interface ModerationResult {
  readonly flagged: boolean;
  readonly presetResponse: string;
}

function keywordsOf(config: AppConfig): string[] {
  return (config.sensitive_word_avoidance.configs.keywords ?? '')
    .split('\n')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean)
    .slice(0, 100);
}

function hit(keywords: readonly string[], texts: readonly string[]): boolean {
  return texts.some((text) => {
    const lower = text.toLowerCase();
    return keywords.some((k) => lower.includes(k));
  });
}

/**
 * Keyword moderation of what the user sent (inputs and query). Flagged input
 * is answered with the preset response and never reaches the model.
 */
export function moderateInput(config: AppConfig, inputs: Record<string, unknown>, query: string): ModerationResult {
  const settings = config.sensitive_word_avoidance;
  if (!settings.enabled || settings.type !== 'keywords' || !settings.configs.inputs_config.enabled) return { flagged: false, presetResponse: '' };
  const texts = [query, ...Object.values(inputs).filter((v): v is string => typeof v === 'string')];
  return { flagged: hit(keywordsOf(config), texts), presetResponse: settings.configs.inputs_config.preset_response };
}

/** Keyword moderation of the model's answer; a flagged answer is replaced (`message_replace`). */
export function moderateOutput(config: AppConfig, answer: string): ModerationResult {
  const settings = config.sensitive_word_avoidance;
  if (!settings.enabled || settings.type !== 'keywords' || !settings.configs.outputs_config.enabled) return { flagged: false, presetResponse: '' };
  return { flagged: hit(keywordsOf(config), [answer]), presetResponse: settings.configs.outputs_config.preset_response };
}
