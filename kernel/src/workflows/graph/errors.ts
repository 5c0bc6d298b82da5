import { TesseraError, type ErrorCode } from '../../errors.js';

/**
 * A graph that cannot be compiled or run (issue #16, "Bad input"): a coded 400
 * naming the node. `params` carries the node id too, so the console can point at
 * the node without parsing the message.
 */
export class GraphError extends TesseraError {
  constructor(
    code: ErrorCode,
    message: string,
    /** The node at fault (the referencing node for selector errors). */
    readonly nodeId?: string,
    /** The other node involved: the node a selector names, the far end of an edge. */
    readonly otherNodeId?: string,
  ) {
    super(400, code, message, nodeId === undefined ? {} : { params: nodeId });
  }
}

/** How a node is named in messages: its title and id. */
export function nodeName(node: { id: string; title?: string } | undefined, id: string): string {
  return node?.title ? `'${node.title}' (${id})` : `'${id}'`;
}
