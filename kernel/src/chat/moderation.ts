import type { Logger } from 'pino';
import type { ModelRuntime } from '../models/model-runtime.js';
import type { ModelRef } from '../boot/config.js';
import type { AppConfig } from '../apps/config.js';

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

/** What provider moderation needs: the model runtime, the model used when an app names none, and a logger for calls that fail. */
export interface ModerationDeps {
  readonly runtime: Pick<ModelRuntime, 'moderate'>;
  /** MODERATION_DEFAULT_MODEL (as Dify's `openai_moderation`). */
  readonly moderationDefault: ModelRef;
  readonly logger?: Pick<Logger, 'warn'>;
}
/** A moderation call sits in front of every message: it gets less time than a chat. */
const MODERATION_CALL = { timeoutMs: 15_000, retries: 1 } as const;

const NOT_FLAGGED: ModerationResult = { flagged: false, presetResponse: '' };

function usesProvider(config: AppConfig): boolean {
  const type = config.sensitive_word_avoidance.type;
  return type === 'moderation' || type === 'openai_moderation';
}

/**
 * Asks the configured moderation model about `texts`; true when any is flagged.
 *
 * A failing moderation call (provider not configured, upstream down, time-out)
 * does not fail the chat: it is logged as a warning and the text is let
 * through. Moderation is a safeguard on top of the model's own policies, and
 * an outage of the moderation endpoint should not take every app using it
 * down. Only cancellation (the client left, the task was stopped) propagates.
 */
async function flaggedByProvider(deps: ModerationDeps, workspaceId: string, config: AppConfig, texts: readonly string[], signal?: AbortSignal): Promise<boolean> {
  const input = texts.filter((text) => text.trim() !== '');
  if (input.length === 0) return false;
  const configs = config.sensitive_word_avoidance.configs;
  const provider = configs.provider || deps.moderationDefault.provider;
  const model = configs.model || deps.moderationDefault.model;
  try {
    const result = await deps.runtime.moderate(workspaceId, provider, { model, input }, { ...MODERATION_CALL, ...(signal ? { signal } : {}) });
    return result.results.some((r) => r.flagged);
  } catch (error) {
    if (signal?.aborted) throw error;
    deps.logger?.warn({ err: error, provider, model }, 'moderation call failed; the text was let through unmoderated');
    return false;
  }
}

/**
 * Moderation of what the user sent (inputs and query), by keywords or by a
 * provider's moderation model (`moderation`, Dify's `openai_moderation`).
 * Flagged input is answered with the preset response and never reaches the model.
 */
export async function checkInput(deps: ModerationDeps, workspaceId: string, config: AppConfig, inputs: Record<string, unknown>, query: string, signal?: AbortSignal): Promise<ModerationResult> {
  const settings = config.sensitive_word_avoidance;
  if (!settings.enabled || !settings.configs.inputs_config.enabled) return NOT_FLAGGED;
  if (settings.type === 'keywords') return moderateInput(config, inputs, query);
  if (!usesProvider(config)) return NOT_FLAGGED;
  const texts = [query, ...Object.values(inputs).filter((v): v is string => typeof v === 'string')];
  return { flagged: await flaggedByProvider(deps, workspaceId, config, texts, signal), presetResponse: settings.configs.inputs_config.preset_response };
}

/** Moderation of the model's final answer, by keywords or by a provider; a flagged answer is replaced (`message_replace`). */
export async function checkOutput(deps: ModerationDeps, workspaceId: string, config: AppConfig, answer: string, signal?: AbortSignal): Promise<ModerationResult> {
  const settings = config.sensitive_word_avoidance;
  if (!settings.enabled || !settings.configs.outputs_config.enabled) return NOT_FLAGGED;
  if (settings.type === 'keywords') return moderateOutput(config, answer);
  if (!usesProvider(config)) return NOT_FLAGGED;
  return { flagged: await flaggedByProvider(deps, workspaceId, config, [answer], signal), presetResponse: settings.configs.outputs_config.preset_response };
}
