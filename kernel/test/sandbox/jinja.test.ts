import { expect } from 'chai';
import { TesseraError } from '../../src/errors.js';
import { JinjaSandbox } from '../../src/sandbox/jinja.js';

async function failure(promise: Promise<unknown>): Promise<TesseraError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(TesseraError);
    return error as TesseraError;
  }
  throw new Error('expected the render to fail');
}

describe('Jinja2 templates in the sandbox (template-transform, #16 / #18 item 5)', function () {
  this.timeout(30_000);
  const sandbox = new JinjaSandbox({ timeoutMs: 300, maxOutputChars: 10_000, memoryMb: 32, maxContexts: 4 });
  after(() => sandbox.dispose());

  it('renders what Dify template-transform nodes write: variables, loops, filters, Python-style methods', async () => {
    const out = await sandbox.render('ws-1', "Hi {{ name }}! {% for item in items %}{{ loop.index }}. {{ item | upper }}{% if not loop.last %}, {% endif %}{% endfor %} | {{ items | join('/') }} | {{ items | length }} | {{ text.split(',') | join(' ') }} | {% for k, v in obj.items() %}{{ k }}={{ v }}{% endfor %}", {
      name: 'Ada',
      items: ['a', 'b'],
      text: 'x,y',
      obj: { k1: 1 },
    });
    expect(out).to.equal('Hi Ada! 1. A, 2. B | a/b | 2 | x y | k1=1');
  });

  it('reaches no host object: the constructor escape that breaks plain nunjucks finds no process, require or host function', async () => {
    const out = await sandbox.render('ws-1', "{{ range.constructor('return [typeof process, typeof require, typeof globalThis.fetch, typeof setTimeout].join(\",\")')() }}", {});
    expect(out).to.equal('undefined,undefined,undefined,undefined');
  });

  it('leaves nothing behind for the next render: globals and prototypes are frozen', async () => {
    const attempt = await sandbox.render('ws-1', "{{ range.constructor('try { Object.prototype.polluted = 1; globalThis.leak = 2; } catch (e) { return \"refused\"; } return \"done\"')() }}", {});
    expect(attempt).to.be.oneOf(['refused', 'done']);
    expect(await sandbox.render('ws-1', "{{ range.constructor('return [typeof ({}).polluted, typeof globalThis.leak].join(\",\")')() }}", {})).to.equal('undefined,undefined');
  });

  it('keeps workspaces apart: each key renders in its own context', async () => {
    await sandbox.render('ws-a', "{{ range.constructor('try { globalThis.secret = 42 } catch (e) {} return \"\"')() }}", {});
    expect(await sandbox.render('ws-b', "{{ range.constructor('return typeof globalThis.secret')() }}", {})).to.equal('undefined');
  });

  it('stops a template that runs past its deadline, and the next render works', async () => {
    const error = await failure(sandbox.render('ws-1', "{{ range.constructor('for (;;) {}')() }}", {}));
    expect(error.code).to.equal('template_timeout');
    expect(await sandbox.render('ws-1', '{{ 1 + 1 }}', {})).to.equal('2');
  });

  it('refuses output past the cap', async () => {
    const error = await failure(sandbox.render('ws-1', "{% for i in range(0, 2000) %}0123456789{% endfor %}", {}));
    expect(error.code).to.equal('template_output_too_long');
    expect(error.message).to.include('20000');
  });

  it('survives a template that exhausts the heap: the isolate is rebuilt for the next render', async () => {
    const error = await failure(sandbox.render('ws-1', "{{ range.constructor('const a = []; for (;;) a.push(new Array(100000).fill(1))')() }}", {}));
    expect(['template_memory_exceeded', 'template_timeout']).to.include(error.code);
    expect(await sandbox.render('ws-1', '{{ "ok" }}', {})).to.equal('ok');
  });

  it('names the line and column of a syntax error', async () => {
    const error = await failure(sandbox.render('ws-1', 'Hello {% for x in %}', {}));
    expect(error.code).to.equal('template_syntax_error');
    expect(error.message).to.match(/Line 1, Column \d+/);
  });
});
