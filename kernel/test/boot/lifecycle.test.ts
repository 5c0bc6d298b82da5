import { expect } from 'chai';
import { BootFailedError, BootTimeoutError, Lifecycle } from '../../src/boot/lifecycle.js';

describe('boot lifecycle', () => {
  it('starts modules in order, reports each one’s time, and stops them in reverse', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle(1000);
    for (const name of ['a', 'b', 'c']) {
      lifecycle.add({ name, start: async () => void log.push(`start ${name}`), stop: async () => void log.push(`stop ${name}`) });
    }
    const report = await lifecycle.start();
    expect(report.modules.map((m) => m.name)).to.deep.equal(['a', 'b', 'c']);
    expect(report.modules.every((m) => m.ms >= 0)).to.equal(true);
    await lifecycle.stop();
    expect(log).to.deep.equal(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('fails start-up with a time-out that names the module that hung, and stops the ones already started', async () => {
    const log: string[] = [];
    const lifecycle = new Lifecycle(50);
    lifecycle.add({ name: 'database', start: () => void log.push('db up'), stop: () => void log.push('db down') });
    lifecycle.add({ name: 'marketplace', start: () => new Promise(() => undefined) });
    try {
      await lifecycle.start();
      expect.fail('start resolved');
    } catch (error) {
      expect(error).to.be.instanceOf(BootTimeoutError);
      expect((error as Error).message).to.equal('boot module "marketplace" did not start within 50 ms');
    }
    expect(log).to.deep.equal(['db up', 'db down']);
  });

  it('names the module whose start threw', async () => {
    const lifecycle = new Lifecycle(1000).add({ name: 'plugins', start: () => { throw new Error('bad manifest'); } });
    const error = await lifecycle.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(BootFailedError);
    expect((error as Error).message).to.equal('boot module "plugins" failed: bad manifest');
  });

  it('keeps stopping the other modules when one stop fails, and reports it', async () => {
    const failures: string[] = [];
    const stopped: string[] = [];
    const lifecycle = new Lifecycle(1000, (name) => failures.push(name));
    lifecycle.add({ name: 'a', start: () => undefined, stop: () => void stopped.push('a') });
    lifecycle.add({ name: 'b', start: () => undefined, stop: () => { throw new Error('boom'); } });
    await lifecycle.start();
    await lifecycle.stop();
    expect(failures).to.deep.equal(['b']);
    expect(stopped).to.deep.equal(['a']);
  });
});
