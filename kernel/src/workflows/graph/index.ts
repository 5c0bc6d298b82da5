/**
 * The workflow graph (issue #16), PURE: Dify's graph JSON compiled for the
 * engine, its checks, and the variables its nodes read.
 */
export * from './types.js';
export { GraphError } from './errors.js';
export { compileGraph, exportGraph, isNote, CONTAINER_START, TRIGGER_TYPES } from './compile.js';
export { checkStructure, structureIssues, validateNodeTypes, reachable, upstreamInScope } from './validate.js';
export { parseTemplate, templateReferences, type TemplatePart } from './templates.js';
export { referencedSelectors, selectorUses, selectorIssues, validateSelectors, type SelectorUse } from './selectors.js';
