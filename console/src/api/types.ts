/** Shapes of the console API (docs/api/*.md), as the console uses them. */
import type { ContributionKind } from '@tessera/sdk/kinds';

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
  /** The activation link's path when no mailer sent it (the inviter passes it on); absent when it was emailed. */
  url?: string;
  message?: string;
  /** Why it failed: `already_member`, `account_banned`, `mail_failed`. */
  code?: string;
}

/** An open invitation of the current workspace (`GET /workspaces/current/invitations`). */
export interface Invitation {
  id: string;
  email: string;
  role: Role;
  /** The inviter's email. */
  invited_by: string | null;
  created_at: number;
  expires_at: number;
}

/** `GET /activate/check`: whom an invitation link is for. */
export interface InvitationInfo {
  workspace_id: string;
  workspace_name: string;
  email: string;
  /** The address already has an active account: sign in and accept, instead of activating. */
  account_exists: boolean;
}

/** `POST /invitations/accept`. */
export interface AcceptedInvitation {
  result: string;
  workspace: { id: string; name: string; status: string; role: Role };
}

export type InstallRole = 'owner' | 'admin';

/**
 * Permission names the console asks about. Which role holds which is the
 * kernel's business: `GET /account/authority` answers with the caller's own.
 */
export type WorkspacePermission =
  | 'workspace.view' | 'workspace.manage' | 'members.view' | 'members.manage' | 'providers.manage'
  | 'plugins.manage' | 'plugins.use' | 'apps.view' | 'apps.edit' | 'datasets.view' | 'datasets.edit' | 'dataset_keys.manage';
export type InstallPermission = 'install.plugins' | 'install.marketplace' | 'install.settings' | 'install.admins' | 'install.workspaces';

/** `GET /account/authority`: what the caller may do in its current workspace and on the install. */
export interface Authority {
  workspace_id: string;
  role: Role;
  install_role: InstallRole | null;
  permissions: string[];
  install_permissions: string[];
  can_create_workspace: boolean;
}

export type WorkspaceCreation = 'open' | 'admins_only';

export interface SystemSettings {
  workspace_creation: WorkspaceCreation;
}

/** An account of the install (`GET /system/accounts`). */
export interface InstallAccount {
  id: string;
  email: string;
  name: string;
  status: string;
  install_role: InstallRole | null;
  last_login_at: number | null;
  created_at: number;
}

export interface TrustedPublisher {
  keyid: string;
  public_key: string;
  name: string;
  first_party: boolean;
  created_at: number;
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

/** Who vouches for a plugin version: its signer (a trusted key id or `first-party`) and how it got here. */
export interface PublisherInfo {
  signer: string | null;
  /** The signer's display name; null when unsigned. */
  publisher: string | null;
  signed: boolean;
  /** `marketplace`, `upload`, `bundled`, or `file`/`folder` (the command line). */
  source: string;
}

export interface PluginVersion extends PublisherInfo {
  version: string;
  installed_at: number;
}

export interface Plugin extends PublisherInfo {
  name: string;
  version: string;
  description: string;
  runtime: 'isolate' | 'node';
  contributes: Contributions;
  permissions: DeclaredPermissions;
  credentials_schema: JsonSchema | null;
  installed_versions: string[];
  /** Newest first. */
  versions: PluginVersion[];
  /** A newer version installed on this Tessera; the workspace stays where it is until its admin moves. */
  upgrade_available: (PublisherInfo & { version: string }) | null;
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

/** The contribution kinds come from the SDK (one table for kernel, plugins and console). */
export type PluginKind = ContributionKind;
export { CONTRIBUTION_KINDS as PLUGIN_KINDS } from '@tessera/sdk/kinds';

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
