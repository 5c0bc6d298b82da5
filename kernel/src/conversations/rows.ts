/**
 * The conversation and message rows as the database holds them: a leaf, so the
 * message writer and the conversation store can both use them without importing
 * each other (no import cycle; docs/architecture.md, "Layering").
 */

export interface ConversationRow {
  id: string;
  workspace_id: string;
  app_id: string;
  mode: string;
  name: string;
  inputs: string;
  status: string;
  introduction: string;
  end_user_id: string | null;
  account_id: string | null;
  from_source: string;
  message_count: number;
  is_deleted: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface MessageRow {
  id: string;
  workspace_id: string;
  app_id: string;
  conversation_id: string | null;
  app_version_id: string | null;
  end_user_id: string | null;
  account_id: string | null;
  from_source: string;
  inputs: string;
  query: string;
  answer: string;
  files: string;
  agent_thoughts: string;
  metadata: string;
  provider: string;
  model: string;
  message_tokens: number;
  answer_tokens: number;
  total_price: string | number;
  currency: string;
  latency: number;
  status: string;
  error: string | null;
  created_at: Date;
  /** The last write: a heartbeat while `generating`. */
  updated_at: Date;
}
