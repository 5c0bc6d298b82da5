/**
 * The coded errors a workflow run ends with (issue #16). PURE. Their codes are
 * in errors/catalogue.ts ('Workflow runs'); a run's error is reported in its
 * `workflow_finished` event and run record (status 200: a blocking run answers
 * 200 with the failed run, as Dify does), never as an HTTP error.
 */
import { TesseraError } from '../../errors.js';
import type { ErrorCode } from '../../errors/catalogue.js';

export class WorkflowRunError extends TesseraError {
  /** The node the run stopped at. */
  readonly nodeId: string | undefined;
  /** A limit or a stop: ends the whole run, whatever the node's error policy or its container's error mode. */
  readonly fatal: boolean;

  constructor(code: ErrorCode, message: string, nodeId?: string, fatal = false) {
    super(200, code, message);
    this.nodeId = nodeId;
    this.fatal = fatal;
  }
}

/** Dify's `error_type` for a node failure: the error class name (e.g. `WorkflowRunError`, `TypeError`). */
export function errorType(e: unknown): string {
  return e instanceof Error ? (e.name === 'Error' ? 'NodeError' : e.name) : 'NodeError';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function errorCode(e: unknown): string {
  return e instanceof TesseraError ? e.code : 'workflow_node_failed';
}
