/**
 * The template-transform node (Dify's TemplateTransformNode): its `variables`
 * ([{variable, value_selector}]) read from the pool, its Jinja2 `template`
 * rendered with them, the text as output `output`. PURE: the Jinja2 engine
 * comes in as a capability — in the kernel, sandbox/jinja.ts (nunjucks in an
 * isolate with a deadline, a heap cap and an output cap) — so a template never
 * runs where it could reach the host.
 */
import type { NodeResult } from '@tessera/sdk';
import type { NodeContext } from '../engine/events.js';
import type { GraphNode, Selector } from '../graph/types.js';

/** Renders a Jinja2 template with JSON variables; throws a coded error (template_*) on failure. */
export type RenderJinja = (template: string, variables: Record<string, unknown>) => Promise<string>;

export function templateTransform(render: RenderJinja) {
  return async (node: GraphNode, ctx: NodeContext): Promise<NodeResult<Record<string, unknown>>> => {
    const variables: Record<string, unknown> = {};
    for (const v of (node.data.variables as Array<{ variable?: string; value_selector?: Selector }> | undefined) ?? []) {
      if (typeof v.variable !== 'string' || v.variable === '') continue;
      // A missing variable renders as nothing, as in Dify (Jinja2's undefined), not as an error.
      variables[v.variable] = v.value_selector?.length ? (ctx.pool.get(v.value_selector) ?? null) : null;
    }
    const template = typeof node.data.template === 'string' ? node.data.template : '';
    return { outputs: { output: await render(template, variables) } };
  };
}
