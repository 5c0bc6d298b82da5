import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ivm from 'isolated-vm';
import { TesseraError } from '../errors.js';

/**
 * Jinja2 templates (workflow template-transform, Jinja2 prompts) rendered by
 * nunjucks — the Jinja2-compatible engine STACK_NOTES names — inside an
 * isolated-vm isolate (issues #16, #18 item 5). nunjucks alone is no sandbox
 * (`{{ range.constructor("…")() }}` runs code), so it runs where code cannot
 * reach anything: no host object is ever passed in (the variables go in as a
 * JSON string, the output comes out as a string), the isolate's heap is capped
 * and each render has a CPU deadline and an output cap.
 *
 * Contexts are warm (nunjucks evaluated once, ~5 ms) and kept per key — the
 * workspace — so one workspace's templates never share globals with another's;
 * within a context the intrinsics and nunjucks itself are frozen after loading,
 * so a template cannot leave anything behind for the next render either. A
 * render that times out or runs out of memory loses its context (or the
 * isolate, which is rebuilt on the next call).
 */

export interface JinjaLimits {
  /** CPU deadline of one render. */
  readonly timeoutMs: number;
  /** Longest output, in characters (Dify's TEMPLATE_TRANSFORM_MAX_LENGTH is 80,000). */
  readonly maxOutputChars: number;
  /** The isolate's heap cap: every context of every workspace shares it. */
  readonly memoryMb: number;
  /** Warm contexts kept (least recently used dropped first). */
  readonly maxContexts: number;
}

export const DEFAULT_JINJA_LIMITS: JinjaLimits = { timeoutMs: 1_000, maxOutputChars: 80_000, memoryMb: 64, maxContexts: 32 };

/** Runs once in each new context, after nunjucks: the render entry point, then everything frozen. */
const SETUP = `
(() => {
  nunjucks.installJinjaCompat();
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  // Compiling is most of a render's cost: the compiled templates of this context, a bounded number.
  const compiled = new Map();
  const render = (template, variables, max) => {
    let t = compiled.get(template);
    if (!t) {
      t = new nunjucks.Template(template, env, undefined, true);
      if (compiled.size >= 256) compiled.delete(compiled.keys().next().value);
      compiled.set(template, t);
    }
    const out = t.render(JSON.parse(variables));
    if (out.length > max) throw new Error('OUTPUT_TOO_LONG:' + out.length);
    return out;
  };
  const seen = new Set();
  const freeze = (value) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
    seen.add(value);
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d && 'value' in d) freeze(d.value);
      else if (d) { freeze(d.get); freeze(d.set); }
    }
    freeze(Object.getPrototypeOf(value));
  };
  freeze(env);
  freeze(globalThis);
  return render;
})()
`;

const require = createRequire(import.meta.url);

let nunjucksSource: string | undefined;
function source(): string {
  nunjucksSource ??= readFileSync(require.resolve('nunjucks/browser/nunjucks.min.js'), 'utf8');
  return nunjucksSource;
}

interface Warm {
  readonly context: ivm.Context;
  readonly render: ivm.Reference<(template: string, variables: string, max: number) => string>;
}

export class JinjaSandbox {
  private isolate: ivm.Isolate | undefined;
  private script: ivm.Script | undefined;
  private readonly contexts = new Map<string, Promise<Warm>>();

  constructor(readonly limits: JinjaLimits = DEFAULT_JINJA_LIMITS) {}

  /**
   * Renders `template` with `variables` (JSON values) for `key` (a workspace
   * id). Errors are coded: `template_syntax_error` (with nunjucks' line and
   * column), `template_timeout`, `template_output_too_long`, `template_memory_exceeded`.
   */
  async render(key: string, template: string, variables: Record<string, unknown>): Promise<string> {
    const warm = await this.context(key);
    try {
      return await warm.render.apply(undefined, [template, JSON.stringify(variables), this.limits.maxOutputChars], { timeout: this.limits.timeoutMs, result: { copy: true } });
    } catch (error) {
      throw this.failed(key, error);
    }
  }

  /** Drops every context and the isolate. */
  dispose(): void {
    this.contexts.clear();
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
    this.script = undefined;
  }

  private context(key: string): Promise<Warm> {
    const hit = this.contexts.get(key);
    if (hit) {
      this.contexts.delete(key); // re-inserted: most recently used last
      this.contexts.set(key, hit);
      return hit;
    }
    const made = this.makeContext();
    made.catch(() => this.contexts.delete(key));
    this.contexts.set(key, made);
    while (this.contexts.size > this.limits.maxContexts) {
      const oldest = this.contexts.keys().next().value!;
      const dropped = this.contexts.get(oldest);
      this.contexts.delete(oldest);
      void dropped?.then((w) => w.context.release(), () => {});
    }
    return made;
  }

  private async makeContext(): Promise<Warm> {
    if (!this.isolate || this.isolate.isDisposed) {
      this.isolate = new ivm.Isolate({ memoryLimit: this.limits.memoryMb });
      this.script = await this.isolate.compileScript(source());
    }
    const context = await this.isolate.createContext();
    await this.script!.run(context, { timeout: 5_000 });
    const render = (await context.eval(SETUP, { reference: true, timeout: 5_000 })) as Warm['render'];
    return { context, render };
  }

  private failed(key: string, error: unknown): TesseraError {
    const message = error instanceof Error ? error.message : String(error);
    if (!this.isolate || this.isolate.isDisposed || /memory limit/i.test(message)) {
      this.dispose();
      return new TesseraError(400, 'template_memory_exceeded', `The template used more than ${this.limits.memoryMb} MB while rendering.`);
    }
    if (/timed out/i.test(message)) {
      // Execution was cut off somewhere inside nunjucks: this context is not trusted again.
      const dropped = this.contexts.get(key);
      this.contexts.delete(key);
      void dropped?.then((w) => w.context.release(), () => {});
      return new TesseraError(400, 'template_timeout', `The template did not finish rendering within ${this.limits.timeoutMs} ms.`);
    }
    const tooLong = /OUTPUT_TOO_LONG:(\d+)/.exec(message);
    if (tooLong) return new TesseraError(400, 'template_output_too_long', `The template's output is ${tooLong[1]} characters long; at most ${this.limits.maxOutputChars} are allowed.`);
    // nunjucks' own errors: "(unknown path) [Line 1, Column 4]\n  parseAggregate: expected …"
    return new TesseraError(400, 'template_syntax_error', `The template could not be rendered: ${message.replace(/^Error:\s*/, '').replace(/\s+/g, ' ').trim().slice(0, 500)}`);
  }
}
