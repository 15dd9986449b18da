// network commands through berth and the docker CLI on a real berthd.
// Creates run once per CLI on their own names; everything else is the same
// command line through both.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { haveDockerCli, type TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon, normalise, same } from '../cli-images/helpers.js';

describe('network commands: berth and docker side by side', { skip: !haveDockerCli && 'needs the docker CLI' }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => d?.cleanup());

  const cli = (which: 'docker' | 'berth', args: string[]) => (which === 'docker' ? d.docker(args) : d.berth(args));

  it('create, ls, inspect', async () => {
    for (const [which, n] of [['docker', 1], ['berth', 2]] as const) {
      const plain = await cli(which, ['network', 'create', `plain${n}`]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /^[0-9a-f]{64}\n$/);
      const full = await cli(which, [
        'network', 'create', '--subnet', `10.9${n}.0.0/16`, '--ip-range', `10.9${n}.1.0/24`, '--gateway', `10.9${n}.0.1`,
        '--aux-address', `r=10.9${n}.0.2`, '--label', 'team=a', '-o', `com.docker.network.bridge.name=brt${n}${process.pid % 1000}`,
        '--internal', '--attachable', `full${n}`,
      ]);
      assert.equal(full.code, 0, full.stderr);
    }
    for (const args of [
      ['network', 'ls'],
      ['network', 'ls', '--no-trunc'],
      ['network', 'ls', '-q'],
      ['network', 'ls', '--format', 'json'],
      ['network', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}\t{{.Internal}}\t{{.IPv4}}\t{{.IPv6}}\t{{.Labels}}'],
      ['network', 'ls', '-f', 'label=team=a', '--format', '{{.Name}}'],
      ['network', 'ls', '-f', 'driver=null'],
      ['network', 'ls', '-f', 'bogus=1'],
      ['network', 'inspect', 'bridge'],
      ['network', 'inspect', 'full1', 'full2', 'nope'],
      ['network', 'inspect', '-f', '{{.Name}} {{.ID}} {{.Internal}} {{.Attachable}} {{json .IPAM}} {{.Labels}} {{.Created}}', 'full1', 'full2'],
      ['network', 'inspect', '-f', '{{.Id}}', 'full1'],
      ['network', 'inspect', '-v', 'bridge'],
    ]) {
      await same(d, args, (s) => normalise(s).replace(/brt\d+/g, 'BR').replace(/10\.9[12]\./g, '10.9X.').replace(/(plain|full)[12]/g, '$1N'));
    }
  });

  it("create's errors", async () => {
    for (const args of [
      ['network', 'create', '--subnet', 'foo', '--ip-range', '10.0.0.0/24', 'x'],
      ['network', 'create', '--gateway', '10.0.0.1', 'x'],
      ['network', 'create', '--subnet', '10.96.0.0/16', '--subnet', '10.96.1.0/24', 'x'],
      ['network', 'create', '--subnet', '10.96.0.0/16', '--gateway', '10.97.0.1', 'x'],
      ['network', 'create', 'plain1'],
      ['network', 'create', '-d', 'nosuchdriver', 'x'],
      ['network', 'create'],
    ]) {
      await same(d, args, normalise);
    }
  });

  it('connect and disconnect (the daemon’s answers, the same for both)', async () => {
    for (const args of [
      ['network', 'connect', 'plain1', 'nosuchcontainer'],
      ['network', 'connect', '--alias', 'a', '--ip', '10.91.1.9', 'full1', 'nosuchcontainer'],
      ['network', 'connect', '--link', 'a:b:c', 'plain1', 'c'],
      ['network', 'disconnect', 'plain1', 'nosuchcontainer'],
      ['network', 'disconnect', '-f', 'plain1', 'nosuchcontainer'],
    ]) {
      await same(d, args, normalise);
    }
  });

  it('rm and prune', async () => {
    for (const [which, n] of [['docker', 1], ['berth', 2]] as const) {
      const rm = await cli(which, ['network', 'rm', `plain${n}`, 'nope']);
      assert.equal(rm.stdout, `plain${n}\n`);
      assert.equal(rm.code, 1);
    }
    await same(d, ['network', 'rm', 'nope', 'nope2']);
    await same(d, ['network', 'rm', '-f', 'nope']);
    await same(d, ['network', 'rm', 'bridge'], normalise);
    await same(d, ['network', 'prune'], normalise, { input: 'n\n' });
    const pruned = await d.berth(['network', 'prune', '-f']);
    assert.equal(pruned.code, 0);
    assert.deepEqual(pruned.stdout.split('\n').slice(1, -2).sort(), ['full1', 'full2']);
    assert.match(pruned.stdout, /^Deleted Networks:\n/);
    await same(d, ['network', 'prune', '-f'], normalise);
    await same(d, ['network', 'ls'], normalise);
  });
});
