/**
 * The run seam's vocabulary: every event a run streams, named and shaped as
 * Dify's Service API puts them on the wire (`data: {json}`). Runners yield
 * these; the Service API, the OpenAI-compatible API and the console preview
 * switch on `event` and the compiler checks each branch's fields.
 *
 * Chat, completion and agent runs stream the message events; workflow and
 * chatflow runs (issue #16) add the workflow events, whose payload sits in
 * `data` as in Dify.
 */

/** Fields every message event carries. */
export interface MessageEventBase {
  readonly task_id: string;
  /** The message id (Dify sends it twice, as `id` and `message_id`). */
  readonly id?: string;
  readonly message_id?: string;
  readonly conversation_id?: string;
  readonly created_at?: number;
}

/** A text delta of the answer. */
export interface MessageEvent extends MessageEventBase {
  readonly event: 'message';
  readonly answer: string;
}

/** A text delta of an agent's final answer. */
export interface AgentMessageEvent extends MessageEventBase {
  readonly event: 'agent_message';
  readonly answer: string;
}

/** An agent's step: re-sent as it fills in, under the same `id` (the thought's, not the message's). */
export interface AgentThoughtEvent extends Omit<MessageEventBase, 'id'> {
  readonly event: 'agent_thought';
  readonly id: string;
  readonly position: number;
  readonly thought: string;
  readonly tool: string;
  readonly tool_input: string;
  readonly observation: string;
  readonly message_files: readonly string[];
  readonly created_at: number;
}

/** A file produced for the answer (a tool's image, …). */
export interface MessageFileEvent extends Omit<MessageEventBase, 'id'> {
  readonly event: 'message_file';
  readonly id: string;
  readonly type: string;
  readonly belongs_to: 'user' | 'assistant';
  readonly url: string;
}

/** Output moderation replaced the whole answer. */
export interface MessageReplaceEvent extends MessageEventBase {
  readonly event: 'message_replace';
  readonly answer: string;
}

/** The message is stored; usage, price and citations in `metadata`. */
export interface MessageEndEvent extends MessageEventBase {
  readonly event: 'message_end';
  readonly metadata: MessageEndMetadata;
  readonly files?: readonly unknown[];
}

export interface MessageEndMetadata {
  readonly usage: Readonly<Record<string, unknown>>;
  readonly retriever_resources: readonly unknown[];
  readonly annotation_reply?: unknown;
  readonly [key: string]: unknown;
}

/** Synthesised speech of the answer, base64 MP3 pieces. */
export interface TtsMessageEvent extends MessageEventBase {
  readonly event: 'tts_message' | 'tts_message_end';
  readonly audio: string;
}

/** The run failed after the stream began; `status` and `code` are the Service API's. */
export interface ErrorEvent extends Omit<MessageEventBase, 'id'> {
  readonly event: 'error';
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface PingEvent {
  readonly event: 'ping';
}

/** Fields every workflow event carries; the payload is in `data`. */
export interface WorkflowEventBase {
  readonly task_id: string;
  readonly workflow_run_id: string;
  readonly conversation_id?: string;
  readonly message_id?: string;
}

/** The workflow events of Dify's Service API (issue #16 fills `data` in). */
export type WorkflowEventName =
  | 'workflow_started'
  | 'node_started'
  | 'node_finished'
  | 'node_retry'
  | 'text_chunk'
  | 'iteration_started'
  | 'iteration_next'
  | 'iteration_completed'
  | 'loop_started'
  | 'loop_next'
  | 'loop_completed'
  | 'workflow_finished';

export interface WorkflowEvent<N extends WorkflowEventName = WorkflowEventName> extends WorkflowEventBase {
  readonly event: N;
  readonly data: Readonly<Record<string, unknown>>;
}

export type RunEvent =
  | MessageEvent
  | AgentMessageEvent
  | AgentThoughtEvent
  | MessageFileEvent
  | MessageReplaceEvent
  | MessageEndEvent
  | TtsMessageEvent
  | ErrorEvent
  | PingEvent
  | WorkflowEvent;

export type RunEventName = RunEvent['event'];

/** The answer's text deltas: plain chat and completion (`message`), an agent's final answer (`agent_message`). */
export function isAnswerDelta(event: RunEvent): event is MessageEvent | AgentMessageEvent {
  return event.event === 'message' || event.event === 'agent_message';
}
