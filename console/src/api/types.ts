/** Shapes of the console API (docs/api/*.md), as the console uses them. */

import type { Grants } from '@tessera/sdk';

export type Role = 'owner' | 'admin' | 'editor' | 'normal' | 'dataset_operator';
export const ROLES: Role[] = ['owner', 'admin', 'editor', 'normal', 'dataset_operator'];

export interface Profile {
  id: string;
  name: string;
  email: string;
  interface_language?: string;
}

export interface Workspace {
  id: string;
  name: string;
  status: string;
  role: Role;
  current?: boolean;
  created_at?: number;
}

export interface Member {
  id: string;
  name: string;
  email: string;
  status: string;
  role: Role;
  last_login_at: number | null;
  created_at: number;
}

export interface InvitationResult {
  status: 'success' | 'failed';
  email: string;
  url?: string;
  message?: string;
}

/** A JSON Schema, as far as the forms need it. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  writeOnly?: boolean;
  'x-secret'?: boolean;
}

export type I18nText = { en_US: string; zh_Hans: string };

export interface Provider {
  provider: string;
  plugin: string;
  version: string;
  label: I18nText;
  description: I18nText;
  icon: string | null;
  supported_model_types: string[];
  credentials_schema: JsonSchema;
  status: 'active' | 'no-configure';
  credentials_count: number;
}

export interface CredentialSet {
  id: string;
  name: string;
  credentials: Record<string, unknown>;
  cooldown_until: number | null;
  last_error: string | null;
}

export interface ModelEntry {
  model: string;
  label: I18nText;
  model_type: string;
  features: string[];
  model_properties: { mode?: string; context_size?: number };
}

export interface ProviderModels {
  provider: string;
  label: I18nText;
  status: string;
  models: ModelEntry[];
}

export interface DefaultModel {
  model: string;
  model_type: string;
  provider: { provider: string };
}

export type { Grants };

export interface DeclaredPermissions {
  network?: { hosts: string[] };
  storage?: { quotaBytes?: number };
  models?: boolean | Record<string, unknown>;
  [key: string]: unknown;
}

export interface ToolContribution {
  id: string;
  name: string;
  description: string;
  parameters: JsonSchema;
  icon?: string;
}

export interface Contributions {
  tools?: ToolContribution[];
  modelProviders?: Array<{ id: string; name: string; description?: string }>;
  [group: string]: unknown;
}

export interface Plugin {
  name: string;
  version: string;
  description: string;
  runtime: 'isolate' | 'node';
  contributes: Contributions;
  permissions: DeclaredPermissions;
  credentials_schema: JsonSchema | null;
  installed_versions: string[];
  installation: null | {
    version: string;
    previous_version?: string | null;
    enabled: boolean;
    granted_permissions: Grants;
  };
}

export interface Tool extends ToolContribution {
  plugin: string;
  version: string;
}

export type PluginKind = 'tool' | 'model-provider' | 'node' | 'vector-store' | 'document-loader';
export const PLUGIN_KINDS: PluginKind[] = ['tool', 'model-provider', 'node', 'vector-store', 'document-loader'];

export interface MarketplaceItem {
  name: string;
  version: string;
  description: string;
  author: string;
  kinds: PluginKind[];
  runtime: 'isolate' | 'node';
  permissions: DeclaredPermissions;
  icon: string | null;
  installed_version: string | null;
  enabled: boolean;
}

export interface MarketplaceDetail extends MarketplaceItem {
  readme: string;
  versions: string[];
  time: Record<string, string>;
  contributes: Contributions;
  credentials_schema: JsonSchema | null;
  signed_by: string | null;
}

export type AppMode = 'chat' | 'completion' | 'agent-chat';
export const APP_MODES: AppMode[] = ['chat', 'agent-chat', 'completion'];

export type FormItem = Record<string, { label: string; variable: string; required?: boolean; max_length?: number; default?: unknown; options?: string[] }>;

export interface ModelConfig {
  model?: { provider: string; name: string; mode?: string; completion_params?: Record<string, number> };
  pre_prompt?: string;
  user_input_form?: FormItem[];
  opening_statement?: string;
  suggested_questions?: string[];
  suggested_questions_after_answer?: { enabled: boolean };
  memory?: { max_tokens?: number };
  agent_mode?: { enabled: boolean; strategy?: string; max_iteration?: number; tools: AgentTool[] };
  sensitive_word_avoidance?: { enabled: boolean; type?: string; configs?: Record<string, unknown> };
  more_like_this?: { enabled: boolean };
  speech_to_text?: { enabled: boolean };
  text_to_speech?: { enabled: boolean };
  retriever_resource?: { enabled: boolean };
  [key: string]: unknown;
}

export interface AgentTool {
  provider_id: string;
  provider_type: string;
  tool_name: string;
  tool_parameters: Record<string, unknown>;
  enabled: boolean;
}

export interface App {
  id: string;
  name: string;
  mode: AppMode;
  description: string;
  icon?: string;
  icon_type?: string;
  icon_background?: string;
  enable_api: boolean;
  status?: string;
  max_active_requests?: number;
  api_rpm?: number;
  model_config?: ModelConfig;
  published_model_config?: ModelConfig | null;
  published_at?: number | null;
  has_unpublished_changes?: boolean;
  created_at: number;
  updated_at: number;
}

export interface Page<T> {
  page: number;
  limit: number;
  total: number;
  has_more: boolean;
  data: T[];
}

export interface ApiKey {
  id: string;
  type: string;
  token: string;
  created_at: number;
  last_used_at?: number | null;
}

export interface Conversation {
  id: string;
  name: string;
  from_source: string;
  from_end_user_session_id: string | null;
  from_account_id: string | null;
  message_count: number;
  status: string;
  created_at: number;
  updated_at: number;
  user_feedback_stats?: { like: number; dislike: number };
}

export interface AgentThought {
  id?: string;
  thought?: string;
  tool?: string;
  tool_input?: string;
  observation?: string;
  position?: number;
}

export interface Message {
  id: string;
  query: string;
  answer: string;
  inputs: Record<string, unknown>;
  status: string;
  error: string | null;
  message_tokens: number;
  answer_tokens: number;
  total_tokens: number;
  total_price: string | number;
  currency: string;
  latency: number;
  provider: string;
  model: string;
  agent_thoughts: AgentThought[];
  created_at: number;
}

export interface DailyStat {
  date: string;
  messages: number;
  conversations: number;
  end_users: number;
  tokens: number;
  total_price: string | number;
  currency: string;
  avg_latency_ms: number;
}
