import type { PluginErrorCode } from '@tessera/sdk';

/**
 * Every error code the kernel sends (issue #15, item 5): its HTTP status and what
 * it means to a client developer. Clients match on `code`, never on message text.
 *
 * kernel/test/http/error-catalogue.test.ts reads kernel/src and fails when a
 * code at a throw site or in an error body is missing here, or is thrown with a
 * status this entry does not list; docs/api/errors.md is generated from this file
 * (errors/catalogue-doc.ts; UPDATE_DOCS=1 regenerates it).
 */
export interface ErrorSpec {
  /** The status the code is sent with. */
  readonly status: number;
  /** Further statuses some routes send it with (the description says which). */
  readonly otherStatuses?: readonly number[];
  /** What it means to a client, and what to do about it. */
  readonly description: string;
  /** Dify sends this code too (for the same failure): never rename it, clients written for Dify match on it. */
  readonly dify?: true;
}

type Specs = Record<string, ErrorSpec>;

const REQUESTS = {
  invalid_param: { status: 400, dify: true, description: 'A field is missing or malformed; `params` names it when known (also: malformed JSON, a body that is not an object, a request Koa refused as malformed). Fix the request; the message says what is wrong.' },
  bad_request: { status: 400, dify: true, description: 'The request is well formed but the app does not allow it (e.g. suggested questions are disabled for the app).' },
  payload_too_large: { status: 413, description: 'The request body is over the server\'s size limit. Send less.' },
  unsupported_media_type: { status: 415, description: 'The request body\'s Content-Type is not one the route reads (JSON for most routes, multipart/form-data for uploads).' },
  unauthorized: { status: 401, dify: true, description: 'No credentials, or an unknown, expired or revoked session token or API key (or the account is no longer active). Sign in again or use a valid key; the answer carries `WWW-Authenticate`.' },
  forbidden: { status: 403, dify: true, description: 'The credentials are valid but may not do this (e.g. the app\'s API service is disabled).' },
  no_permission: { status: 403, description: 'Your workspace role does not allow this action (the message names the permission). Ask a workspace owner or admin.' },
  install_permission_required: { status: 403, description: 'An install-level action (install settings, install roles, uploading or fetching unsigned plugins): only an install admin may do it, whatever their workspace role.' },
  not_found: { status: 404, dify: true, description: 'No such route, or no such object (e.g. "Conversation Not Exists.", "First Message Not Exists."), also for an id that is not a UUID.' },
  conflict: { status: 409, description: 'The request conflicts with the current state (the default of `ConflictError`; most conflicts have a code of their own).' },
  too_many_requests: { status: 429, dify: true, description: 'An app\'s concurrency limit or an API key\'s requests-per-minute limit was hit. Wait for `Retry-After` seconds (when sent) and retry.' },
  internal_server_error: { status: 500, dify: true, description: 'A fault in the kernel. It is logged with the request id (`X-Request-Id`); quote it when reporting.' },
  service_unavailable: { status: 503, description: 'A service the request needs is unavailable (the default of `UnavailableError`; most have a code of their own). Retry shortly.' },
  database_unavailable: { status: 503, description: 'The database is down or not answering in time. Retry shortly; operators see the driver\'s error in the log.' },
  redis_unavailable: { status: 503, description: 'Scaled out (REDIS_URL): Redis is unreachable and the request needs it — signing in (its brute-force limits), a run of an app with request limits, stopping a task that runs on another process. Answered within about a second; retry shortly. Changes committed to the database are still answered as done.' },
} as const satisfies Specs;

const IDENTITY = {
  already_setup: { status: 403, dify: true, description: 'Set-up has already run on this install. Sign in instead.' },
  no_workspace: { status: 403, otherStatuses: [409], description: '403: the account is a member of no workspace. 409: set-up finished but no workspace exists (creating an install admin). Ask an install admin to invite you or create one.' },
  authentication_failed: { status: 401, dify: true, description: 'Wrong email or password.' },
  invalid_refresh_token: { status: 401, description: 'The refresh token is unknown or expired. Sign in again.' },
  account_banned: { status: 403, dify: true, description: 'The account is banned: it cannot sign in (403), and inviting it fails (a `failed` entry of `invitation_results`, in a 200 answer).' },
  account_not_activated: { status: 403, description: 'The account was invited but has not been activated yet. Open the invitation link first.' },
  account_not_active: { status: 400, description: 'Only an active account can become an install admin.' },
  account_not_found: { status: 404, dify: true, description: 'No account has this email or id.' },
  account_already_exists: { status: 409, description: 'An account with this email already exists.' },
  account_already_active: { status: 409, description: 'The invited address already has an account: sign in with it and accept the invitation.' },
  login_rate_limited: { status: 429, description: 'Too many failed logins from this client or for this account. Wait for `Retry-After` seconds.' },
  activation_rate_limited: { status: 429, description: 'Too many invalid invitation links from this client. Wait for `Retry-After` seconds.' },
  password_reset_rate_limit_exceeded: { status: 429, dify: true, description: 'Too many password-reset emails were requested for this address. Wait for `Retry-After` seconds.' },
  email_password_reset_limit: { status: 429, dify: true, description: 'Too many wrong password-reset codes. Wait for `Retry-After` seconds.' },
  email_code_error: { status: 400, dify: true, description: 'The emailed reset code is wrong or expired.' },
  invalid_or_expired_token: { status: 400, dify: true, description: 'The password-reset token is invalid or expired. Request a new code.' },
  invalid_email: { status: 400, dify: true, description: 'The email does not match the one the reset token was issued for.' },
  password_mismatch: { status: 400, dify: true, description: 'The new password and its confirmation differ.' },
  mail_not_configured: { status: 503, description: 'Outgoing mail (SMTP) is not configured on this install, so no mail can be sent. Ask an administrator.' },
  mail_unavailable: { status: 503, description: 'The mail server is down, too slow, or refused the login or the message. Retry later.' },
  mail_rejected: { status: 400, description: 'The mail server refused the recipient address. Check the address.' },
  workspace_forbidden: { status: 403, description: 'You are not a member of the workspace named by `X-Workspace-Id` (or the path).' },
  workspace_archived: { status: 403, description: 'The workspace has been archived.' },
  workspace_creation_restricted: { status: 403, description: 'On this install only install admins create workspaces. Ask one to create it or to invite you.' },
  member_not_found: { status: 404, description: 'No such member in this workspace.' },
  cannot_operate_owner: { status: 403, description: 'The workspace owner (or the install owner) cannot be changed or removed.' },
  cannot_operate_self: { status: 403, description: 'You cannot change your own membership or install role.' },
  invalid_invitation: { status: 400, description: 'The invitation link is invalid, was revoked, or has expired. Ask for a new invitation.' },
  invitation_email_mismatch: { status: 403, description: 'The invitation was sent to another address. Sign in with that account to accept it.' },
  invitation_not_found: { status: 404, description: 'No open invitation with that id in this workspace.' },
  api_key_not_found: { status: 404, description: 'No such API key.' },
  max_keys_exceeded: { status: 403, description: 'The app (or workspace) already has the maximum number of API keys. Delete one first.' },
} as const satisfies Specs;

const APPS = {
  app_not_found: { status: 404, description: 'No such app in this workspace (or the id is not a UUID).' },
  import_failed: { status: 400, description: 'A DSL import (`POST /apps/imports`, `…/confirm`) failed: invalid YAML, not an app DSL, a mode this build cannot import, a config the app checks reject, an expired or unknown pending import. The body keeps Dify\'s fields (`status: "failed"`, `error`) beside `code` and `message`; `error` says what is wrong (for YAML, with line and column).' },
  app_mode_not_supported: { status: 400, description: 'Apps of this mode cannot be exported (or imported) by this build yet (workflow and advanced-chat apps).' },
  app_unavailable: { status: 400, otherStatuses: [403], dify: true, description: '400: the app cannot run: not published, no model set, or a mode this install cannot run. 403 (Service API): the key\'s app no longer exists or is disabled. Publish or fix the app\'s configuration.' },
  not_chat_app: { status: 400, dify: true, description: 'The endpoint is for chat apps; this app is not one. Use the route matching the app\'s mode.' },
  not_completion_app: { status: 400, dify: true, description: 'The endpoint is for completion apps; this app is not one. Use the route matching the app\'s mode.' },
  conversation_not_exists: { status: 404, description: 'No such conversation for this app and user.' },
  conversation_completed: { status: 400, dify: true, description: 'The conversation has ended. Start a new conversation.' },
  conversation_variable_not_exists: { status: 404, description: 'The conversation has no variable of that name.' },
  conversation_variable_type_mismatch: { status: 400, description: 'The new value is not of the variable\'s current type.' },
  end_user_not_found: { status: 404, description: 'No such end user of this app.' },
  content_filter: { status: 400, description: 'The app\'s input moderation flagged the text (OpenAI-compatible API: a system message); the message is the app\'s preset response.' },
  tool_not_found: { status: 404, otherStatuses: [400], description: '404: the plugin version this workspace runs declares no such tool. 400 (`params: "agent_mode.tools"`): an agent app names a tool that is not a plugin tool, or is not installed and enabled in this workspace.' },
  task_stopped: { status: 400, description: 'The generation was stopped (`/stop`) before it finished.' },
  model_not_found: { status: 404, description: 'OpenAI-compatible API: `model` names neither the key\'s app id nor its name (`params: "model"`).' },
} as const satisfies Specs;

const FILES = {
  file_not_found: { status: 404, dify: true, description: 'No such uploaded file for this app and user.' },
  no_file_uploaded: { status: 400, dify: true, description: 'The request has no file in the field `file` (or is not multipart/form-data).' },
  too_many_files: { status: 400, dify: true, description: 'More files than the upload or the app\'s file settings allow.' },
  file_too_large: { status: 413, otherStatuses: [400], dify: true, description: '413: a file upload over the size limit (UPLOAD_FILE_SIZE_LIMIT, UPLOAD_IMAGE_FILE_SIZE_LIMIT). 400 (`params: "file"`): a plugin tarball over 50 MB, or unpacking to over 200 MB.' },
  unsupported_file_type: { status: 415, dify: true, description: 'A file of a type the platform or the app does not accept.' },
} as const satisfies Specs;

const MODELS = {
  provider_not_found: { status: 404, description: 'No installed plugin provides this model provider.' },
  provider_not_configured: { status: 404, description: 'The model provider has no credentials in this workspace (or no provider was given and no default model is set). Add credentials under Model providers.' },
  credentials_not_found: { status: 404, description: 'No such credential set for this provider.' },
  invalid_credentials: { status: 400, description: 'The provider refused the credentials when they were validated (`params: "credentials"`); the message is the provider\'s.' },
  provider_cooling_down: { status: 429, description: 'Every credential set of this provider is cooling down after rate-limit or authentication errors. Wait for `Retry-After` seconds.' },
  provider_not_initialize: { status: 400, dify: true, description: 'The app\'s model provider is not set up: no (valid) credentials, or no plugin provides it. Configure it under Settings → Model providers.' },
  provider_quota_exceeded: { status: 400, dify: true, description: 'The provider\'s quota or account balance is used up.' },
  model_currently_not_support: { status: 400, dify: true, description: 'The model is not available from its provider (unknown model, or an operation the provider does not support).' },
  provider_connection_error: { status: 502, description: 'The model provider could not be reached, broke off the stream, or its plugin failed mid-answer (#14: the driver\'s words go to the log, not to the user). Retry later.' },
  provider_timeout: { status: 504, description: 'The model provider did not answer in time. Retry later.' },
  server_shutting_down: { status: 503, description: 'The server is shutting down: a stream still open at the drain deadline ends with this event; its answer so far is stored as `stopped`. Retry (on another instance, or after the restart).' },
  completion_request_error: { status: 400, dify: true, description: 'The model provider refused or failed the request; its message is passed on.' },
  rate_limit_error: { status: 429, dify: true, description: 'The model provider is rate limiting. Retry later.' },
  provider_not_support_speech_to_text: { status: 400, dify: true, description: 'No speech-to-text model is available for this app.' },
  provider_not_support_text_to_speech: { status: 400, dify: true, description: 'No text-to-speech model is available for this app.' },
} as const satisfies Specs;

const WORKFLOW_GRAPHS = {
  workflow_invalid_graph: { status: 400, description: 'A workflow graph is not Dify\'s graph JSON: `nodes` or `edges` is not a list, or a node has no id or no `data`. The message says what is wrong.' },
  workflow_invalid_node: { status: 400, description: 'A node\'s config cannot be used: a `default_value` that does not parse as its type, a child whose iteration or loop does not exist, an iteration or loop without its start node. `params` is the node id.' },
  workflow_duplicate_node: { status: 400, description: 'Two nodes of the graph have the same id. `params` is the id.' },
  workflow_no_start: { status: 400, description: 'The graph has no start node (nor a trigger node), or more than one start node. Keep exactly one.' },
  workflow_dangling_edge: { status: 400, description: 'An edge\'s source or target names no node of the graph. `params` is the node at the edge\'s other end (or the missing id).' },
  workflow_edge_crosses_scope: { status: 400, description: 'An edge joins a node inside an iteration or loop to a node outside it (or in another one). Connect the container node instead. `params` is the source node.' },
  workflow_cycle: { status: 400, description: 'The graph has a cycle. Repeat work with a loop node instead. `params` is a node on the cycle.' },
  workflow_unknown_node_type: { status: 400, description: 'A node\'s type, or its type at its `version`, is not provided by any installed node plugin. `params` is the node id.' },
  workflow_selector_unknown_node: { status: 400, description: 'A node reads a variable of a node that does not exist (a `[node_id, …]` selector or a `{{#node_id.var#}}` reference). `params` is the reading node; the message names both.' },
  workflow_selector_not_upstream: { status: 400, description: 'A node reads a variable of a node that does not run before it (not upstream in its scope or an enclosing one, or inside another iteration or loop). `params` is the reading node; the message names both.' },
} as const satisfies Specs;

const PLUGINS = {
  plugin_package_not_found: { status: 404, description: 'No version of this plugin (or not the requested version) is installed on this install. Upload it or fetch it from the marketplace first.' },
  plugin_not_installed: { status: 404, description: 'The plugin is installed on this install but not in this workspace. Enable it first.' },
  plugin_disabled: { status: 409, description: 'The plugin is installed in this workspace but disabled. Enable it again (with its grants).' },
  plugin_same_version: { status: 409, description: 'The workspace already runs that version.' },
  plugin_no_previous_version: { status: 409, description: 'There is no previous version to roll back to.' },
  plugin_version_exists: { status: 409, description: 'This name@version is already installed with different contents. Publish a new version.' },
  plugin_name_owned: { status: 409, description: 'The plugin name belongs to another signer (or `@tessera/` is first-party): this package cannot be installed under it. Publish under a name of your own.' },
  invalid_plugin_package: { status: 400, description: 'The upload is not a usable plugin package: not a readable .tgz, no package.json, no bundle, a bundle that does not load or does not export what the manifest declares (`params: "file"`).' },
  invalid_plugin_manifest: { status: 400, description: 'The package\'s manifest is invalid; the message lists each `path: problem`.' },
  too_many_entries: { status: 400, description: 'The plugin package has too many files (a plugin is one bundled file).' },
  permission_not_declared: { status: 403, description: 'A grant asks for something the plugin\'s manifest does not declare (a network host, model invocation), so it cannot be granted.' },
  node_runtime_not_granted: { status: 403, description: 'The plugin runs in the Node.js runtime; enabling it needs `granted_permissions.node_runtime = true`.' },
  signature_invalid: { status: 400, description: 'The package\'s publisher signature is malformed or does not match its contents.' },
  plugin_unsigned: { status: 403, description: 'The package is not signed and this install does not allow unsigned plugins from the marketplace.' },
  publisher_not_trusted: { status: 403, description: 'The package is signed by a key this install does not trust.' },
  publisher_not_found: { status: 404, description: 'No trusted publisher with that key id.' },
  publisher_account_exists: { status: 409, description: 'The marketplace registry already has an account of that name. Choose another.' },
  integrity_mismatch: { status: 400, description: 'The downloaded package does not match the integrity the marketplace recorded; it was not installed.' },
  marketplace_plugin_not_found: { status: 404, description: 'The marketplace has no plugin of that name.' },
  plugin_version_not_found: { status: 404, description: 'The marketplace has no such version of the plugin.' },
  marketplace_off: { status: 503, description: 'This install runs without a marketplace (MARKETPLACE=off). Upload plugin tarballs instead.' },
  marketplace_unavailable: { status: 503, description: 'The marketplace could not be reached. Retry in a moment.' },
  marketplace_not_embedded: { status: 409, description: 'Publisher accounts and publish tokens come from the embedded marketplace only; this install uses an external one.' },
} as const satisfies Specs;

/**
 * The codes a plugin throws (`PluginError`, sdk/src/errors.ts), passed on to the
 * client with the SDK's status when a plugin call fails (tool calls, credential
 * checks); model failures on the Service API are mapped to Dify's codes instead
 * (chat/generate.ts `appError`).
 */
const PLUGIN_ERRORS = {
  plugin_invalid_arguments: { status: 400, description: 'The plugin (or its upstream) rejected the arguments as invalid; the fetch bridge also uses it for a refused request (bad URL, method, header, too many redirects).' },
  plugin_credentials_invalid: { status: 401, description: 'The plugin\'s credentials are missing, wrong or expired. Fix them in the plugin\'s secrets or the provider\'s credentials.' },
  plugin_permission_denied: { status: 403, description: 'The plugin used a capability it was not granted (network, a host, models, the Node.js runtime), or its upstream refused a permission.' },
  plugin_not_found: { status: 404, description: 'Something the plugin looked up does not exist: a model, collection, document or page named in the call. Not the plugin itself (that is `plugin_not_installed` / `plugin_package_not_found`).' },
  plugin_quota_exceeded: { status: 429, description: 'A storage quota (`ctx.kv`) or the upstream account\'s quota is used up; retrying will not help.' },
  plugin_rate_limited: { status: 429, description: 'The plugin\'s upstream is throttling. Retry later.' },
  plugin_payload_too_large: { status: 413, description: 'An argument, kv value, request body or result crossing between the plugin and the kernel is over its size limit.' },
  plugin_cancelled: { status: 499, description: 'The call was cancelled (the client went away, or the plugin was unloaded mid-call).' },
  plugin_not_supported: { status: 501, description: 'The contribution does not implement this operation.' },
  plugin_upstream_error: { status: 502, description: 'The plugin\'s upstream failed or answered garbage, or the network failed. Retry later.' },
  plugin_timeout: { status: 504, description: 'The upstream did not answer in time, or the plugin used up its CPU time for the call.' },
  plugin_invalid_definition: { status: 500, description: 'The plugin\'s own code or definition is broken (e.g. the bundle failed to load). Report it to the plugin\'s author.' },
  plugin_bad_output: { status: 502, description: 'The plugin returned something that is not JSON or not of the declared shape.' },
  plugin_out_of_memory: { status: 507, description: 'The plugin hit its memory cap; its isolate was disposed and is recreated for the next call.' },
  plugin_crashed: { status: 503, description: 'The plugin-host process died during the call; it is restarted for the next one.' },
  plugin_internal_error: { status: 500, description: 'Anything else the plugin threw; its message is passed on.' },
} as const satisfies Record<PluginErrorCode, ErrorSpec>;

/**
 * Errors a workflow run ends with (issue #16): reported in the run's
 * `workflow_finished` event (`error`) and record, the run's status `failed` (or
 * `stopped`); `status` is the answer's (a blocking run answers 200 with the failed run).
 */
const WORKFLOW_RUNS = {
  workflow_node_failed: { status: 200, description: 'A node of the workflow failed and its error strategy was to fail the run (the message is the node\'s error; the node is named). Fix the node or give it a fail branch or default values.' },
  workflow_step_limit: { status: 200, description: 'The run reached the maximum number of node executions (WORKFLOW_MAX_STEPS, default 500, iteration and loop bodies included); the message names the node it stopped at. A loop or iteration is probably larger than intended.' },
  workflow_time_limit: { status: 200, description: 'The run took longer than the maximum run time (WORKFLOW_MAX_EXECUTION_TIME, default 1,200 s); the message names the node it stopped at.' },
  workflow_output_invalid: { status: 200, description: 'A node produced an output of the wrong type or over a size limit (string length, array length, nesting depth, 200 KB per variable); the message names the node and the output.' },
  workflow_iteration_input_invalid: { status: 200, description: 'An iteration\'s input variable is missing or not an array; the message names the iteration node.' },
  workflow_stopped: { status: 200, description: 'The run was stopped (by the stop endpoint, or the server shutting down); the run\'s status is `stopped`.' },
} as const satisfies Specs;

/**
 * Jinja2 templates (template-transform nodes, Jinja2 prompts), rendered in the
 * sandbox (sandbox/jinja.ts): the node fails with one of these as its error.
 */
const TEMPLATES = {
  template_syntax_error: { status: 400, description: 'A Jinja2 template could not be parsed or rendered; the message quotes the engine, with the line and column.' },
  template_timeout: { status: 400, description: 'A Jinja2 template did not finish rendering within its time limit (1 s by default). A loop is probably far larger than intended.' },
  template_output_too_long: { status: 400, description: 'A Jinja2 template produced more than the allowed output (80,000 characters by default); the message gives the length.' },
  template_memory_exceeded: { status: 400, description: 'A Jinja2 template used more memory than the sandbox allows while rendering (64 MB by default).' },
} as const satisfies Specs;

/**
 * Not error responses: codes of the entries of a 200 answer that failed one by one
 * (`POST /workspaces/current/members/invite-email`, `invitation_results[]` with
 * `status: "failed"`). `status` is the answer's.
 */
const RESULTS = {
  already_member: { status: 200, description: 'The invited address is already a member of this workspace.' },
  mail_failed: { status: 200, description: 'The invitation mail could not be sent; the invitation was withdrawn. The message says why.' },
} as const satisfies Specs;

/** The sections of the catalogue, in the order docs/api/errors.md lists them. */
export const ERROR_SECTIONS = [
  { title: 'Requests, authentication and the server', codes: REQUESTS },
  { title: 'Accounts, sessions, workspaces and members', codes: IDENTITY },
  { title: 'Apps, conversations and runs', codes: APPS },
  { title: 'Files', codes: FILES },
  { title: 'Workflow graphs', codes: WORKFLOW_GRAPHS },
  { title: 'Model providers and model calls', codes: MODELS },
  { title: 'Plugins and the marketplace', codes: PLUGINS },
  { title: 'Errors a plugin reports (`PluginError`, passed on)', codes: PLUGIN_ERRORS },
  { title: 'Workflow runs', codes: WORKFLOW_RUNS },
  { title: 'Jinja2 templates', codes: TEMPLATES },
  { title: 'Per-entry result codes in a 200 answer', codes: RESULTS },
] as const;

/** Every code the kernel sends, with its status and meaning. */
export const ERRORS = { ...REQUESTS, ...IDENTITY, ...APPS, ...FILES, ...WORKFLOW_GRAPHS, ...MODELS, ...PLUGINS, ...PLUGIN_ERRORS, ...WORKFLOW_RUNS, ...TEMPLATES, ...RESULTS } as const;

/** A code of the catalogue: the type of `code` at throw sites. */
export type ErrorCode = keyof typeof ERRORS;

/** Whether `code` is in the catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** The status the catalogue gives `code`, or `fallback` for a code it does not know. */
export function errorStatus(code: string, fallback = 500): number {
  return isErrorCode(code) ? ERRORS[code].status : fallback;
}
