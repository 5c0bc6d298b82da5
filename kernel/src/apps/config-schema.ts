import { Type, type TSchema } from '@sinclair/typebox';

/**
 * The one schema of an app config (issue #14): every write — `POST /apps`,
 * `PUT /apps/{id}/model-config`, a copy, a DSL import — goes through
 * `normalizeConfig`, which checks the merged result against it, so no config a
 * generation could trip on (`keywords: 5` made every chat of its app 500) can be
 * stored. Keys beyond these are allowed (Dify's configs carry UI state such as
 * `text_to_speech.autoPlay`); the ones we read are typed and ranged. Pure.
 */

const Enabled = Type.Object({ enabled: Type.Boolean() });
const Strings = Type.Array(Type.String());
/** An optional value Dify (and JSON clients) may send as `null` for "not set". */
const Maybe = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** The model parameters a run passes on (chat/prompt.ts `modelParameters`), and OpenAI's penalties. */
const CompletionParams = Type.Object({
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  presence_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  frequency_penalty: Type.Optional(Type.Number({ minimum: -2, maximum: 2 })),
  stop: Type.Optional(Type.Array(Type.String(), { maxItems: 16 })),
});

/** A form field; `label` and `required` are defaulted by normalizeConfig before this check. */
const FormField = Type.Object({
  label: Type.String(),
  variable: Type.String(),
  required: Type.Boolean(),
  max_length: Maybe(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  options: Maybe(Strings),
  allowed_file_types: Maybe(Strings),
  allowed_file_extensions: Maybe(Strings),
  allowed_file_upload_methods: Maybe(Strings),
  max_files: Maybe(Type.Integer({ minimum: 0, maximum: 100 })),
});

const ModerationIo = Type.Object({ enabled: Type.Boolean(), preset_response: Type.String() });

const AgentTool = Type.Object({
  provider_id: Type.String(),
  provider_type: Type.String(),
  provider_name: Maybe(Type.String()),
  tool_name: Type.String(),
  tool_parameters: Type.Record(Type.String(), Type.Unknown()),
  enabled: Type.Boolean(),
});

/** A file count: Dify's UI offers 1–10; 0 is "none" and the rest is room. */
const FileCount = Type.Integer({ minimum: 0, maximum: 100 });

export const AppConfigSchema = Type.Object({
  model: Type.Object({
    provider: Type.String({ maxLength: 255 }),
    name: Type.String({ maxLength: 255 }),
    mode: Type.Union([Type.Literal('chat'), Type.Literal('completion')]),
    completion_params: CompletionParams,
  }),
  pre_prompt: Type.String(),
  prompt_type: Type.Literal('simple'),
  user_input_form: Type.Array(Type.Record(Type.String(), FormField, { minProperties: 1, maxProperties: 1 })),
  opening_statement: Type.String(),
  suggested_questions: Strings,
  suggested_questions_after_answer: Enabled,
  memory: Type.Object({ max_tokens: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }),
  file_upload: Type.Object({
    enabled: Type.Boolean(),
    allowed_file_types: Strings,
    allowed_file_extensions: Strings,
    allowed_file_upload_methods: Strings,
    number_limits: FileCount,
    image: Type.Object({ enabled: Type.Boolean(), number_limits: FileCount, detail: Type.Union([Type.Literal('high'), Type.Literal('low')]), transfer_methods: Strings }),
  }),
  sensitive_word_avoidance: Type.Object({
    enabled: Type.Boolean(),
    type: Type.Union([Type.Literal('keywords'), Type.Literal('moderation'), Type.Literal('openai_moderation')]),
    configs: Type.Object({
      keywords: Maybe(Type.String()),
      provider: Maybe(Type.String()),
      model: Maybe(Type.String()),
      inputs_config: ModerationIo,
      outputs_config: ModerationIo,
    }),
  }),
  annotation_reply: Type.Object({
    enabled: Type.Boolean(),
    score_threshold: Type.Number({ minimum: 0, maximum: 1 }),
    embedding_model: Maybe(Type.Object({ embedding_provider_name: Type.String(), embedding_model_name: Type.String() })),
  }),
  agent_mode: Type.Object({
    enabled: Type.Boolean(),
    strategy: Type.Union([Type.Literal('function_call'), Type.Literal('react')]),
    max_iteration: Type.Integer({ minimum: 1, maximum: 99 }),
    tools: Type.Array(AgentTool),
  }),
  more_like_this: Enabled,
  speech_to_text: Enabled,
  text_to_speech: Type.Object({ enabled: Type.Boolean(), voice: Maybe(Type.String()), language: Maybe(Type.String()) }),
  retriever_resource: Enabled,
  dataset_configs: Type.Record(Type.String(), Type.Unknown()),
});
