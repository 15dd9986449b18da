// Lazily registered commands (CommandRegistry.addLazy): the berth tree's
// registrations match their specs, and a command's module is loaded only
// when that command is invoked or its help is shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CommandRegistry, defineCommand, noArgs, type CliIO, type CommandSpec } from '../../../src/cli/command.js';
import { buildRegistry } from '../../../src/cli/commands/index.js';

function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { HOME: '/root' } },
    out: () => out,
    err: () => err,
  };
}

const lsSpec = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  description: 'List things',
  flags: { quiet: { type: 'bool', short: 'q', usage: 'Only display IDs' } },
  args: noArgs,
  run: (ctx) => {
    ctx.stdout.write(ctx.flags.quiet ? 'quiet\n' : 'listed\n');
    return 0;
  },
});

function lazyTree(): { registry: CommandRegistry; loads: string[] } {
  const loads: string[] = [];
  const registry = new CommandRegistry({ name: 'tool', description: 'A tool', version: 'tool version 1' });
  registry.addGroup({ name: 'thing', description: 'Manage things' });
  registry.addLazy(
    {
      name: 'ls',
      aliases: ['list'],
      description: 'List things',
      load: async () => {
        loads.push('ls');
        return lsSpec as unknown as CommandSpec;
      },
    },
    { parent: ['thing'] },
  );
  registry.addLazy(
    {
      name: 'broken',
      description: 'Never loads',
      load: async () => {
        loads.push('broken');
        throw new Error('must not be loaded');
      },
    },
    { parent: ['thing'] },
  );
  registry.shortcut('things', ['thing', 'ls'], { common: 1 });
  return { registry, loads };
}

describe('lazily registered commands', () => {
  it('the berth tree registers every command with its spec name, aliases, description and hidden flag', async () => {
    await buildRegistry().loadAll();
  });

  it('lists commands without loading them', async () => {
    const { registry, loads } = lazyTree();
    const c = capture();
    assert.equal(await registry.dispatch(['--version'], c.io), 0);
    assert.equal(c.out(), 'tool version 1\n');
    assert.equal(await registry.dispatch(['thing', '--help'], c.io), 0);
    assert.match(c.out(), /ls {10}List things/);
    assert.match(c.out(), /broken {6}Never loads/);
    assert.deepEqual(loads, []);
  });

  it('loads a command once, through either its path or its shortcut', async () => {
    const { registry, loads } = lazyTree();
    const c = capture();
    assert.equal(await registry.dispatch(['things', '-q'], c.io), 0);
    assert.equal(await registry.dispatch(['thing', 'list'], c.io), 0);
    assert.equal(c.out(), 'quiet\nlisted\n');
    assert.deepEqual(loads, ['ls']);
  });

  it('shows a lazy command help and flag errors as an eager one would', async () => {
    const { registry } = lazyTree();
    const eager = new CommandRegistry({ name: 'tool', description: 'A tool', version: 'tool version 1' });
    eager.addGroup({ name: 'thing', description: 'Manage things' });
    eager.add(lsSpec as unknown as CommandSpec, { parent: ['thing'] });
    eager.add({ ...(lsSpec as unknown as CommandSpec), name: 'broken', aliases: [], description: 'Never loads' }, { parent: ['thing'] });
    eager.shortcut('things', ['thing', 'ls'], { common: 1 });
    for (const argv of [['things', '--help'], ['help', 'thing', 'ls'], ['thing', 'ls', '--bogus'], ['thing', 'ls', 'extra']]) {
      const lazyOut = capture();
      const eagerOut = capture();
      const lazyCode = await registry.dispatch(argv, lazyOut.io);
      const eagerCode = await eager.dispatch(argv, eagerOut.io);
      assert.deepEqual([lazyCode, lazyOut.out(), lazyOut.err()], [eagerCode, eagerOut.out(), eagerOut.err()], argv.join(' '));
    }
  });

  it('helpText needs the command loaded first', async () => {
    const { registry } = lazyTree();
    assert.throws(() => registry.helpText(['thing', 'ls']), /not loaded/);
    await registry.load(['thing', 'ls']);
    assert.match(registry.helpText(['thing', 'ls']), /^Usage: {2}tool thing ls \[OPTIONS\]/);
  });

  it('loadAll reports registrations that differ from their specs', async () => {
    const registry = new CommandRegistry({ name: 'tool', description: 'A tool', version: '1' });
    registry.addLazy({ name: 'ls', description: 'Outdated description', load: async () => lsSpec as unknown as CommandSpec });
    await assert.rejects(registry.loadAll(), /tool ls: registered \["ls",\[\],"Outdated description",false\], spec \["ls",\["list"\],"List things",false\]/);
  });
});
