import { expect } from 'chai';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PLUGIN_ERROR_CODES, PluginError, pluginErrorStatus } from '@tessera/sdk';
import { ERROR_SECTIONS, ERRORS, isErrorCode, type ErrorSpec } from '../../src/errors/catalogue.js';
import { withErrorCatalogue } from '../../src/errors/catalogue-doc.js';
import { toErrorBody } from '../../src/http/error-middleware.js';
import { openAiError } from '../../src/openai-api/errors.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, '..', '..', 'src');
const DOC = join(HERE, '..', '..', '..', 'docs', 'api', 'errors.md');

/** One code the kernel sends: where, and with which status when the site writes it literally. */
interface Use {
  code: string;
  /** A number; `'plugin'` for a `PluginError` (the SDK's status); undefined when not literal. */
  status: number | 'plugin' | undefined;
  at: string;
  /** Raised through a `TesseraError` (or subclass) rather than a `PluginError` or a body literal. */
  kernelClass: boolean;
}

/** Where an error class takes its status and code: a constructor argument, or a fixed value. */
interface Layout {
  status: { arg: number } | { value: number } | undefined;
  code: { arg: number; default?: string } | { value: string } | undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The string literals an expression can evaluate to: `'a'`, `x ? 'a' : 'b'`, `x ?? 'a'`, `String(x || 'a')`. */
function leaves(node: ts.Expression): string[] {
  if (ts.isStringLiteralLike(node)) return [node.text];
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node) || ts.isSatisfiesExpression(node)) return leaves(node.expression);
  if (ts.isConditionalExpression(node)) return [...leaves(node.whenTrue), ...leaves(node.whenFalse)];
  if (ts.isBinaryExpression(node) && (node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return [...leaves(node.left), ...leaves(node.right)];
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'String' && node.arguments[0]) return leaves(node.arguments[0]);
  return [];
}

const CODE_SHAPE = /^[a-z][a-z0-9_]*$/; // ours; Node's (ETIMEDOUT, EENVELOPE) are not sent to clients

/**
 * Every code at a throw site or in an error body of kernel/src, read from the
 * syntax tree: the code argument of `new TesseraError(status, code)` and of every
 * class that extends it (their layouts are read from their `super(...)` calls, so
 * errors.ts is the only source of what `InputError` or `NotFoundError` send), their
 * default codes, `new PluginError(code)`, and `code: '…'` in object literals (error
 * bodies and events, the throttle's policies, per-entry results).
 */
function scan(files: readonly ts.SourceFile[]): { uses: Use[]; dynamic: string[] } {
  const at = (node: ts.Node) => `${relative(SRC, node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const layouts = new Map<string, Layout>([['TesseraError', { status: { arg: 0 }, code: { arg: 1 } }]]);
  const uses: Use[] = [];
  const dynamic: string[] = [];

  const classes: ts.ClassDeclaration[] = [];
  for (const file of files) {
    const visit = (node: ts.Node) => {
      if (ts.isClassDeclaration(node) && node.name) classes.push(node);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const parentOf = (c: ts.ClassDeclaration) => {
    const extended = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    return extended && ts.isIdentifier(extended) ? extended.text : undefined;
  };
  // Subclasses of subclasses: resolve until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of classes) {
      const parent = layouts.get(parentOf(c) ?? '');
      if (!parent || layouts.has(c.name!.text)) continue;
      const ctor = c.members.find(ts.isConstructorDeclaration);
      let superCall: ts.CallExpression | undefined;
      ctor?.body?.forEachChild(function find(n) {
        if (!superCall && ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) superCall = n;
        else n.forEachChild(find);
      });
      if (!ctor || !superCall) {
        layouts.set(c.name!.text, parent);
        changed = true;
        continue;
      }
      const params = ctor.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
      const fromArg = (i: number) => {
        const arg = superCall!.arguments[i];
        const param = arg && ts.isIdentifier(arg) ? params.indexOf(arg.text) : -1;
        return { arg, param };
      };
      let status: Layout['status'];
      if (parent.status && 'value' in parent.status) status = parent.status;
      else if (parent.status) {
        const { arg, param } = fromArg(parent.status.arg);
        status = arg && ts.isNumericLiteral(arg) ? { value: Number(arg.text) } : param >= 0 ? { arg: param } : undefined;
      }
      let code: Layout['code'];
      if (parent.code && 'value' in parent.code) code = parent.code;
      else if (parent.code) {
        const { arg, param } = fromArg(parent.code.arg);
        if (!arg) code = parent.code.default === undefined ? undefined : { value: parent.code.default };
        else if (ts.isStringLiteralLike(arg)) code = { value: arg.text };
        else if (param >= 0) {
          const init = ctor.parameters[param]!.initializer;
          code = { arg: param, ...(init && ts.isStringLiteralLike(init) ? { default: init.text } : {}) };
        }
      }
      layouts.set(c.name!.text, { status, code });
      // A class's fixed or default code is what it sends: count it where the class is declared.
      const sent = code && 'value' in code ? code.value : code?.default;
      if (sent !== undefined) uses.push({ code: sent, status: status && 'value' in status ? status.value : undefined, at: at(c), kernelClass: true });
      changed = true;
    }
  }

  for (const file of files) {
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
        const args = node.arguments ?? [];
        if (node.expression.text === 'PluginError' && args[0]) {
          for (const code of leaves(args[0])) uses.push({ code, status: 'plugin', at: at(node), kernelClass: false });
        }
        const layout = layouts.get(node.expression.text);
        if (layout?.code && 'arg' in layout.code) {
          const statusArg = layout.status && 'arg' in layout.status ? args[layout.status.arg] : undefined;
          const status = layout.status && 'value' in layout.status ? layout.status.value : statusArg && ts.isNumericLiteral(statusArg) ? Number(statusArg.text) : undefined;
          const codes = args[layout.code.arg] ? leaves(args[layout.code.arg]!) : layout.code.default !== undefined ? [layout.code.default] : [];
          if (codes.length === 0) dynamic.push(at(node));
          for (const code of codes) uses.push({ code, status, at: at(node), kernelClass: true });
        }
      }
      if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node)) && node.name.getText() === 'code' && ts.isObjectLiteralExpression(node.parent)) {
        const statusProp = node.parent.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'status');
        const status = statusProp && ts.isNumericLiteral(statusProp.initializer) ? Number(statusProp.initializer.text) : undefined;
        let codes: string[] = [];
        if (ts.isPropertyAssignment(node)) codes = leaves(node.initializer);
        else {
          // `{ code, … }`: the `const code = …` of the enclosing function.
          let scope: ts.Node = node;
          while (!ts.isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
          scope.forEachChild(function find(n) {
            if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === 'code' && n.initializer) codes.push(...leaves(n.initializer));
            n.forEachChild(find);
          });
        }
        for (const code of codes.filter((c) => CODE_SHAPE.test(c))) uses.push({ code, status, at: at(node), kernelClass: false });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { uses, dynamic };
}

const parse = (path: string, text = readFileSync(path, 'utf8')) => ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
const scanKernel = () => scan(sourceFiles(SRC).map((path) => parse(path)));

const PLUGIN_SECTION = ERROR_SECTIONS.find((s) => Object.keys(s.codes).includes('plugin_timeout'))!.codes as Record<string, ErrorSpec>;
const specOf = (code: string) => (ERRORS as Record<string, ErrorSpec>)[code]!;
const statusesOf = (spec: ErrorSpec) => [spec.status, ...(spec.otherStatuses ?? [])];

describe('the error catalogue (kernel/src/errors/catalogue.ts)', () => {
  const { uses } = scanKernel();

  it('finds the throw sites and error bodies of kernel/src', () => {
    expect(uses.length, 'the scan found too few codes: has the way errors are thrown changed?').to.be.greaterThan(250);
    expect(new Set(uses.map((u) => u.code)).size).to.be.greaterThan(80);
  });

  it('reads codes and statuses off every way the kernel raises an error (the scanner, on a sample)', () => {
    const sample = parse(join(SRC, 'sample.ts'), [
      "class GoneError extends NotFoundError { constructor() { super('Gone.', 'app_gone'); } }",
      "class Teapot extends TesseraError { constructor(m: string, code = 'teapot') { super(418, code, m); } }",
      "throw new TesseraError(402, 'app_not_found', 'x');",
      "throw new InputError('x', 'field');",
      "throw new ForbiddenError('x', cond ? 'no_permission' : 'forbiden');",
      "throw new Teapot('x', 'brewing');",
      "const body = { code: 'not_a_code', message: 'x', status: 400 };",
      "function f() { const code = a ? 'payload_too_large' : 'invalid_param'; return { code, status: 413 }; }",
    ].join('\n'));
    const { uses: found } = scan([parse(join(SRC, 'errors.ts')), sample]);
    const inSample = found.filter((u) => u.at.startsWith('sample.ts')).map((u) => `${u.code} ${u.status}`);
    expect(inSample).to.have.members(['app_gone 404', 'teapot 418', 'app_not_found 402', 'invalid_param 400', 'no_permission 403', 'forbiden 403', 'brewing 418', 'not_a_code 400', 'payload_too_large 413', 'invalid_param 413']);
  });

  it('lists every code thrown or sent by the kernel', () => {
    const missing = uses.filter((u) => !isErrorCode(u.code)).map((u) => `${u.code} (${u.at})`);
    expect(missing, 'add these codes to kernel/src/errors/catalogue.ts').to.deep.equal([]);
  });

  it('gives each code the status its throw sites send', () => {
    const wrong = uses
      .filter((u) => typeof u.status === 'number' && isErrorCode(u.code) && !statusesOf(specOf(u.code)).includes(u.status))
      .map((u) => `${u.code}: ${u.status} at ${u.at}, catalogue says ${statusesOf(specOf(u.code)).join('/')}`);
    expect(wrong).to.deep.equal([]);
  });

  it('lists no code and no status that nothing sends (plugin codes aside)', () => {
    const used = new Set(uses.map((u) => u.code));
    const unused = Object.keys(ERRORS).filter((code) => !(code in PLUGIN_SECTION) && !used.has(code));
    expect(unused, 'remove these from the catalogue, or say where they are sent').to.deep.equal([]);
    const unusedStatuses = Object.entries(ERRORS as Record<string, ErrorSpec>).flatMap(([code, spec]) =>
      (spec.otherStatuses ?? []).filter((s) => !uses.some((u) => u.code === code && u.status === s)).map((s) => `${code} ${s}`));
    expect(unusedStatuses).to.deep.equal([]);
  });

  it('has each code once, in snake_case, with a description', () => {
    const total = ERROR_SECTIONS.reduce((n, s) => n + Object.keys(s.codes).length, 0);
    expect(total, 'a code is in two sections').to.equal(Object.keys(ERRORS).length);
    for (const [code, spec] of Object.entries(ERRORS as Record<string, ErrorSpec>)) {
      expect(code).to.match(CODE_SHAPE);
      expect(spec.description.length, code).to.be.greaterThan(10);
    }
  });

  it('carries the SDK’s plugin codes with the SDK’s statuses, and the mappers send those statuses', () => {
    expect(Object.keys(PLUGIN_SECTION)).to.have.members([...PLUGIN_ERROR_CODES]);
    for (const code of PLUGIN_ERROR_CODES) {
      expect(PLUGIN_SECTION[code]!.status, code).to.equal(pluginErrorStatus(code));
      expect(toErrorBody(new PluginError(code, 'x')).status, code).to.equal(PLUGIN_SECTION[code]!.status);
      expect(openAiError(new PluginError(code, 'x')).status, code).to.equal(PLUGIN_SECTION[code]!.status);
    }
  });

  it('keeps the SDK’s codes for plugins: the kernel’s own errors use codes of their own (plugin_not_found is only a plugin’s)', () => {
    const borrowed = uses.filter((u) => u.kernelClass && u.code in PLUGIN_SECTION).map((u) => `${u.code} (${u.at})`);
    expect(borrowed).to.deep.equal([]);
  });

  it('agrees with the fallback bodies of toErrorBody', () => {
    expect(toErrorBody(new Error('boom')).status).to.equal(ERRORS.internal_server_error.status);
    expect(toErrorBody(Object.assign(new Error('too big'), { status: 413, expose: true })).status).to.equal(ERRORS.payload_too_large.status);
    expect(toErrorBody(Object.assign(new Error('bad type'), { status: 415, expose: true })).status).to.equal(ERRORS.unsupported_media_type.status);
  });
});

describe('docs/api/errors.md', () => {
  it('carries the error catalogue exactly as the kernel defines it', () => {
    const text = readFileSync(DOC, 'utf8');
    const generated = withErrorCatalogue(text);
    expect(generated, 'the error-catalogue markers are missing from errors.md').to.be.a('string');
    if (process.env.UPDATE_DOCS === '1' && generated !== text) writeFileSync(DOC, generated!);
    else expect(text, 'errors.md is out of date: run UPDATE_DOCS=1 npm test -w @tessera/kernel').to.equal(generated);
  });
});
