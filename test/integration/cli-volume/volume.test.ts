// volume commands through berth and the docker CLI on a real berthd.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { haveDockerCli, type TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon, normalise, same } from '../cli-images/helpers.js';

describe('volume commands: berth and docker side by side', { skip: !haveDockerCli && 'needs the docker CLI' }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => d?.cleanup());

  const cli = (which: 'docker' | 'berth', args: string[]) => (which === 'docker' ? d.docker(args) : d.berth(args));
  const names = (s: string): string => normalise(s).replace(/\b(named|opts|anon)[12]\b/g, '$1N');

  it('create, ls, inspect', async () => {
    for (const [which, n] of [['docker', 1], ['berth', 2]] as const) {
      const anon = await cli(which, ['volume', 'create']);
      assert.match(anon.stdout, /^[0-9a-f]{64}\n$/);
      assert.equal((await cli(which, ['volume', 'create', `named${n}`])).stdout, `named${n}\n`);
      const opts = await cli(which, ['volume', 'create', '-d', 'local', '--label', 'b=2', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', `opts${n}`]);
      assert.equal(opts.code, 0, opts.stderr);
    }
    for (const args of [
      ['volume', 'ls'],
      ['volume', 'ls', '-q'],
      ['volume', 'ls', '--format', 'json'],
      ['volume', 'ls', '-f', 'dangling=true'],
      ['volume', 'ls', '-f', 'label=b=2', '--format', '{{.Name}} {{.Driver}} {{.Label "b"}} {{.Links}} {{.Size}}'],
      ['volume', 'ls', '-f', 'bogus=1'],
      ['volume', 'inspect', 'opts1', 'opts2'],
      ['volume', 'inspect', '-f', '{{.Name}} {{.Labels}} {{.Options}} {{json .}}', 'named1', 'nope'],
      ['volume', 'inspect', '--format', 'json', 'named2'],
      ['volume', 'create', '--name', 'a', 'b'],
      ['volume', 'create', '-d', 'nosuchdriver', 'x'],
    ]) {
      await same(d, args, (s) => names(s).split('\n').sort().join('\n'));
    }
  });

  it('rm and prune', async () => {
    for (const [which, n] of [['docker', 1], ['berth', 2]] as const) {
      const rm = await cli(which, ['volume', 'rm', `named${n}`, 'nope']);
      assert.equal(rm.stdout, `named${n}\n`);
      assert.equal(rm.code, 1);
    }
    await same(d, ['volume', 'rm', 'nope', 'nope2']);
    await same(d, ['volume', 'rm', '-f', 'nope']);
    await same(d, ['volume', 'prune'], normalise, { input: 'n\n' });
    await same(d, ['volume', 'prune', '-a', '--filter', 'all=1', '-f']);
    const pruned = await d.berth(['volume', 'prune', '-f']);
    assert.equal(pruned.code, 0);
    assert.match(pruned.stdout, /^Deleted Volumes:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
    await same(d, ['volume', 'prune', '-f'], normalise);
    // (berthd leaves volumes with mount options, like the tmpfs ones above, to prune -a: removed here by name)
    for (const [which, n] of [['docker', 1], ['berth', 2]] as const) {
      assert.equal((await cli(which, ['volume', 'rm', `opts${n}`])).stdout, `opts${n}\n`);
      assert.equal((await cli(which, ['volume', 'create', '--label', 'k=v', `lab${n}`])).code, 0);
    }
    const all = await d.berth(['volume', 'prune', '-a', '-f']);
    assert.match(all.stdout, /^Deleted Volumes:\n(lab[12]\n){2}\nTotal reclaimed space: \S+\n$/);
    await same(d, ['volume', 'ls'], normalise);
  });
});
