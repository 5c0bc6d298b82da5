import { expect } from 'chai';
import { loadConfig } from '../../src/boot/config.js';
import { defineModule, defineService, ModuleOrderError } from '../../src/boot/module.js';
import { createKernel, KERNEL_MODULES } from '../../src/kernel.js';
import { createLogger } from '../../src/logger.js';
import { DatabaseRef } from '../../src/services.js';
import { startKernel } from '../support/kernel.js';

const config = () => loadConfig({ PORT: '0', LOG_LEVEL: 'silent', MARKETPLACE: 'off', BUNDLED_PLUGINS_DIR: '' });

const Clock = defineService<{ now(): number }>('test.clock');
const Greeter = defineService<{ greet(name: string): string }>('test.greeter');

const clockModule = defineModule({ name: 'clock', deps: {}, provides: { clock: Clock }, start: () => ({ clock: { now: () => 42 } }) });
const greeterModule = defineModule({
  name: 'greeter',
  deps: { clock: Clock },
  provides: { greeter: Greeter },
  start: ({ clock }) => ({ greeter: { greet: (name: string) => `hello ${name} at ${clock.now()}` } }),
});

async function bootError(modules: Parameters<typeof createKernel>[0]['modules']): Promise<Error> {
  const kernel = createKernel({ config: config(), logger: createLogger('silent'), http: false, modules });
  try {
    await kernel.start();
  } catch (error) {
    return error as Error;
  } finally {
    await kernel.stop();
  }
  throw new Error('the kernel started');
}

describe('kernel modules', () => {
  it('hands each module the services it declared and serves them by reference', async () => {
    const log: string[] = [];
    const logged = (name: string) => ({ stop: () => void log.push(`stop ${name}`) });
    const kernel = createKernel({ config: config(), logger: createLogger('silent'), http: false, modules: [{ ...clockModule, ...logged('clock') }, { ...greeterModule, ...logged('greeter') }] });
    const report = await kernel.start();
    expect(report.modules.map((m) => m.name)).to.deep.equal(['clock', 'greeter']);
    expect(kernel.get(Greeter).greet('ada')).to.equal('hello ada at 42');
    await kernel.stop();
    expect(log).to.deep.equal(['stop greeter', 'stop clock']);
    expect(() => kernel.get(Clock)).to.throw(ModuleOrderError, 'no started module provides the service "test.clock"');
  });

  it('refuses to boot a module listed before the module whose service it needs, naming both', async () => {
    const error = await bootError([greeterModule, clockModule]);
    expect(error).to.be.instanceOf(ModuleOrderError);
    expect(error.message).to.equal('module "greeter" needs the service "test.clock" of module "clock", which starts after it: list "clock" before "greeter"');
  });

  it('refuses a service that no module provides, and a service with two providers', async () => {
    expect((await bootError([greeterModule])).message).to.equal('module "greeter" needs the service "test.clock", which no module provides');
    const twice = defineModule({ name: 'second-clock', deps: {}, provides: { clock: Clock }, start: () => ({ clock: { now: () => 7 } }) });
    expect((await bootError([clockModule, twice])).message).to.equal('modules "clock" and "second-clock" both provide the service "test.clock"');
  });

  it('resolves a late service at call time, and refuses one that no module provides', async () => {
    const user = defineModule({
      name: 'early',
      deps: {},
      later: { clock: Clock },
      provides: { greeter: Greeter },
      start: (_deps, _ctx, later) => ({ greeter: { greet: (name: string) => `${name} ${later.clock().now()}` } }),
    });
    const kernel = createKernel({ config: config(), logger: createLogger('silent'), http: false, modules: [user, clockModule] });
    await kernel.start();
    expect(kernel.get(Greeter).greet('late')).to.equal('late 42');
    await kernel.stop();
    expect((await bootError([user])).message).to.equal('module "early" needs the service "test.clock" later, which no module provides');
  });

  it('lists the kernel in an order the check accepts, and a running kernel serves its services by reference', async () => {
    const t = await startKernel();
    try {
      expect(KERNEL_MODULES.map((m) => m.name)).to.include.members(['database', 'identity', 'plugins', 'models', 'chat', 'runs', 'marketplace']);
      const { rows } = (await t.kernel.get(DatabaseRef).knex.raw('select 1 as one')) as { rows: Array<{ one: number }> };
      expect(rows[0]!.one).to.equal(1);
    } finally {
      await t.stop();
    }
  });
});
