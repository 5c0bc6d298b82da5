/**
 * The `workflow:` section of a Dify DSL file (workflow and advanced-chat apps,
 * issue #16 item 8): checked and converted on import, written back on export.
 * PURE.
 *
 * The graph is compiled and structurally checked (workflows/graph) so a
 * broken file fails at import, naming the node, rather than at its first run;
 * what Dify tolerates (an unreachable node, a fail branch without its
 * strategy) comes back as warnings. The graph JSON, features and variables
 * are kept as they came, so an export gives the same file back — except
 * secret environment variables, blanked unless asked for (as Dify does).
 */
import { compileGraph } from '../../workflows/graph/compile.js';
import { GraphError } from '../../workflows/graph/errors.js';
import type { Graph, RawGraph } from '../../workflows/graph/types.js';
import { selectorIssues } from '../../workflows/graph/selectors.js';
import { structureIssues } from '../../workflows/graph/validate.js';
import { DslError, isObject } from './common.js';

/** Dify's environment variable (`environment_variables[]`). */
export interface EnvironmentVariable {
  id: string;
  name: string;
  value: string | number;
  value_type: 'string' | 'number' | 'secret';
  description: string;
  [other: string]: unknown;
}

/** Dify's conversation variable (`conversation_variables[]`, chatflows). */
export interface ConversationVariable {
  id: string;
  name: string;
  value_type: string;
  value: unknown;
  description: string;
  [other: string]: unknown;
}

/** What a workflow or chatflow app stores as its draft (and each published version). */
export interface WorkflowDocument {
  graph: RawGraph;
  features: Record<string, unknown>;
  environment_variables: EnvironmentVariable[];
  conversation_variables: ConversationVariable[];
}

export interface ConvertedWorkflow {
  document: WorkflowDocument;
  graph: Graph;
  warnings: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ENV_TYPES = ['string', 'number', 'secret'];
/** Dify's conversation variable types (SegmentType names a chatflow may declare). */
const CONVERSATION_TYPES = ['string', 'number', 'integer', 'float', 'boolean', 'object', 'secret', 'array[string]', 'array[number]', 'array[object]', 'array[boolean]', 'array[any]'];

/** Checks and converts `data.workflow` of a DSL file; DslError naming what is wrong. */
export function convertWorkflow(mode: 'workflow' | 'advanced-chat', section: unknown): ConvertedWorkflow {
  if (!isObject(section)) throw new DslError(`Missing workflow data for ${mode} app (workflow: with graph, features and variables).`);
  const raw = section.graph;
  if (!isObject(raw) || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) throw new DslError('Invalid workflow graph: workflow.graph needs a list of nodes and a list of edges.');
  let graph: Graph;
  const warnings: string[] = [];
  try {
    graph = compileGraph(raw as unknown as RawGraph);
    const structure = structureIssues(graph);
    const first = structure.errors[0] ?? selectorIssues(graph)[0];
    if (first) throw first;
    warnings.push(...structure.warnings.map((w) => w.message));
  } catch (error) {
    if (error instanceof GraphError) throw new DslError(`Invalid workflow graph: ${error.message}`);
    throw error;
  }
  const answers = [...graph.nodes.values()].some((n) => n.type === 'answer');
  if (mode === 'advanced-chat' && !answers) warnings.push('The chatflow has no answer node: its messages will have no answer until one is added.');
  return {
    document: {
      graph: raw as unknown as RawGraph,
      features: isObject(section.features) ? section.features : {},
      environment_variables: environmentVariables(section.environment_variables),
      conversation_variables: mode === 'advanced-chat' ? conversationVariables(section.conversation_variables) : [],
    },
    graph,
    warnings,
  };
}

function environmentVariables(list: unknown): EnvironmentVariable[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new DslError('workflow.environment_variables must be a list.');
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const where = `workflow.environment_variables[${i}]`;
    if (!isObject(entry)) throw new DslError(`${where} must be a mapping.`);
    const name = checkName(entry.name, where, seen);
    const type = entry.value_type ?? 'string';
    if (typeof type !== 'string' || !ENV_TYPES.includes(type)) throw new DslError(`${where}.value_type must be one of ${ENV_TYPES.join(', ')}.`);
    let value = entry.value ?? '';
    if (type === 'number') {
      value = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new DslError(`${where} (${name}) is a number variable; its value is not a number.`);
    } else if (typeof value !== 'string') value = String(value);
    return { ...entry, id: typeof entry.id === 'string' ? entry.id : '', name, value_type: type as EnvironmentVariable['value_type'], value: value as string | number, description: typeof entry.description === 'string' ? entry.description : '' };
  });
}

function conversationVariables(list: unknown): ConversationVariable[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new DslError('workflow.conversation_variables must be a list.');
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const where = `workflow.conversation_variables[${i}]`;
    if (!isObject(entry)) throw new DslError(`${where} must be a mapping.`);
    const name = checkName(entry.name, where, seen);
    const type = entry.value_type ?? 'string';
    if (typeof type !== 'string' || !CONVERSATION_TYPES.includes(type)) throw new DslError(`${where}.value_type must be one of ${CONVERSATION_TYPES.join(', ')}.`);
    return { ...entry, id: typeof entry.id === 'string' ? entry.id : '', name, value_type: type, value: entry.value ?? null, description: typeof entry.description === 'string' ? entry.description : '' };
  });
}

function checkName(name: unknown, where: string, seen: Set<string>): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new DslError(`${where}.name must be a name of letters, digits and _ (max 64), not starting with a digit.`);
  if (seen.has(name)) throw new DslError(`${where}: the variable ${name} is defined twice.`);
  seen.add(name);
  return name;
}

/** The `workflow:` section of an export: the document as stored, secret values blanked unless `includeSecret`. */
export function exportWorkflow(document: WorkflowDocument, options: { includeSecret?: boolean } = {}): Record<string, unknown> {
  return {
    conversation_variables: document.conversation_variables,
    environment_variables: document.environment_variables.map((v) => (v.value_type === 'secret' && !options.includeSecret ? { ...v, value: '' } : v)),
    features: document.features,
    graph: document.graph,
  };
}

/**
 * What a workflow's nodes need from plugins, for the import's dependency report
 * (DSL ≤ 0.1.5 files have no `dependencies:` block; Dify infers it the same
 * way): the model providers of llm / question-classifier / parameter-extractor
 * / agent nodes and knowledge-retrieval rerankers, and the tool providers of
 * tool nodes. Provider ids as written (`langgenius/openai/openai` or `openai`).
 */
export function workflowProviders(graph: Graph): { models: string[]; tools: string[] } {
  const models = new Set<string>();
  const tools = new Set<string>();
  for (const node of graph.nodes.values()) {
    const model = node.data.model as { provider?: unknown } | undefined;
    if (typeof model?.provider === 'string' && model.provider) models.add(model.provider);
    const rerank = (node.data.multiple_retrieval_config as { reranking_model?: { provider?: unknown } } | undefined)?.reranking_model;
    if (typeof rerank?.provider === 'string' && rerank.provider) models.add(rerank.provider);
    if (node.type === 'tool' && typeof node.data.provider_id === 'string' && ['builtin', 'plugin'].includes(String(node.data.provider_type ?? 'builtin'))) tools.add(node.data.provider_id);
  }
  return { models: [...models].sort(), tools: [...tools].sort() };
}
