// berth's image commands against a real berthd, side by side with the
// docker CLI: the same command lines must print the same (IDs and times
// normalised) and exit alike. State-changing commands run once per CLI on
// their own names.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveDockerCli, type TestDaemon } from '../../helpers/daemon.js';
import { makeTar } from '../../helpers/registry.js';
import { freshDaemon, normalise, same, sortedLines } from './helpers.js';

const skip = !haveDockerCli || !existsSync('/bin/busybox');

describe('image commands: berth and docker side by side', { skip: skip && 'needs the docker CLI and /bin/busybox' }, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await freshDaemon();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-img-'));
    const made = await d.berth(['image', 'busybox']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const tagged = await d.berth(['image', 'busybox', '--tag', 'base:1']);
    assert.equal(tagged.stdout, made.stdout, 'the busybox image is the same image under any tag');
  });
  after(async () => {
    await d?.cleanup();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('berth image busybox is documented in --help', async () => {
    const help = await d.berth(['image', 'busybox', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: {2}berth image busybox \[OPTIONS\]/);
    assert.match(help.stdout, /-t, --tag string {3}Name and tag for the image \(default "busybox:latest"\)/);
  });

  it('images, with every flag and format', async () => {
    for (const args of [
      ['images'],
      ['images', '-a'],
      ['images', '--digests'],
      ['images', '--no-trunc'],
      ['images', '-q'],
      ['images', '--format', 'json'],
      ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'],
      ['images', 'busybox'],
      ['images', '-f', 'reference=base'],
      ['images', '-f', 'dangling=true'],
      ['images', '-f', 'bogus=1'],
      ['image', 'ls', '--format', '{{.Nope}}'],
    ]) {
      await same(d, args, (s) => sortedLines(normalise(s)));
    }
  });

  it('history and inspect', async () => {
    for (const args of [
      ['history', 'busybox'],
      ['history', '--no-trunc', 'busybox'],
      ['history', '-H=false', 'busybox'],
      ['history', '-q', 'busybox'],
      ['history', '--format', 'json', 'busybox'],
      ['history', 'nope'],
      ['image', 'inspect', 'busybox'],
      ['image', 'inspect', '-f', '{{.ID}} {{.Os}}/{{.Architecture}} {{json .Config}} {{.Metadata.LastTagTime}}', 'busybox', 'base:1'],
      ['image', 'inspect', '-f', '{{.Id}}', 'busybox'],
      ['image', 'inspect', '-f', '{{json .}}', 'busybox'],
      ['image', 'inspect', 'busybox', 'nope'],
      ['image', 'inspect', '-f', '{{.Nope}}', 'busybox'],
    ]) {
      await same(d, args, normalise);
    }
  });

  it('tag and rmi', async () => {
    for (const cli of ['docker', 'berth'] as const) {
      const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
      const name = `t-${cli}`;
      assert.equal((await run(['tag', 'busybox', `${name}:1`])).code, 0);
      assert.equal((await run(['image', 'tag', 'busybox', `localhost:5000/${name}/x`])).code, 0);
    }
    for (const [args, names] of [
      [['tag', 'busybox', 'UPPER'], false],
      [['tag', 'nope', 'x'], false],
      [['tag', 'busybox', 'x@sha256:' + '0'.repeat(64)], false],
      [['rmi', 'T-1'], false],
    ] as const) {
      await same(d, [...args], normalise);
      void names;
    }
    for (const cli of ['docker', 'berth'] as const) {
      const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
      const name = `t-${cli}`;
      const removed = await run(['rmi', `${name}:1`, `localhost:5000/${name}/x`, 'nope:1']);
      assert.equal(removed.code, 1);
      assert.equal(removed.stdout, `Untagged: ${name}:1\nUntagged: localhost:5000/${name}/x:latest\n`);
      assert.equal(removed.stderr, 'Error response from daemon: No such image: nope:1\n');
      const forced = await run(['rmi', '-f', 'nope:2']);
      assert.equal(forced.code, 0);
      assert.equal(forced.stderr, 'Error response from daemon: No such image: nope:2\n');
    }
  });

  it('save and load round trip; load reads what docker saved and the reverse', async () => {
    const fromDocker = path.join(work, 'docker.tar');
    const fromBerth = path.join(work, 'berth.tar');
    assert.equal((await d.docker(['save', '-o', fromDocker, 'busybox', 'base:1'])).code, 0);
    assert.equal((await d.berth(['save', '-o', fromBerth, 'busybox', 'base:1'])).code, 0);
    assert.deepEqual(await fs.readFile(fromBerth), await fs.readFile(fromDocker));
    const piped = await d.berth(['save', 'busybox']);
    assert.equal(piped.code, 0);
    await same(d, ['save', '-o', path.join(work, 'nodir', 'x.tar'), 'busybox']);
    await same(d, ['save', '-o', work, 'busybox']);
    await same(d, ['save', 'nope'], normalise);
    await same(d, ['load', '-i', fromBerth], normalise);
    await same(d, ['load', '-q', '-i', fromDocker], normalise);
    const stdinLoad = await fs.readFile(fromDocker);
    await same(d, ['load'], normalise, { input: stdinLoad });
    await same(d, ['load', '-i', path.join(work, 'missing.tar')]);
  });

  it('import from a file, stdin and with --change/--message', async () => {
    const layer = await makeTar({ 'hello.txt': 'hello\n' });
    const file = path.join(work, 'rootfs.tar');
    writeFileSync(file, layer);
    for (const args of [
      ['import', file],
      ['import', '-c', 'ENV A=b', '-c', 'CMD ["sh"]', '-m', 'made by a test', file, 'imported:1'],
      ['import', file, 'BAD'],
      ['import', path.join(work, 'missing.tar')],
      ['import', '-c', 'BOGUS x', file],
    ]) {
      await same(d, args, normalise);
    }
    await same(d, ['import', '-'], normalise, { input: layer });
    await same(d, ['history', '--format', '{{.CreatedBy}}|{{.Comment}}|{{.Size}}', 'imported:1'], normalise);
    await same(d, ['image', 'inspect', '-f', '{{json .Config}}', 'imported:1'], normalise);
  });

  it('prune: the prompt, declining, and the totals', async () => {
    await same(d, ['image', 'prune'], normalise, { input: 'n\n' });
    await same(d, ['image', 'prune', '-a'], normalise, { input: '' });
    // dangling images left by the imports above go with the first prune that runs
    const berth = await d.berth(['image', 'prune', '-f']);
    assert.equal(berth.code, 0);
    assert.match(berth.stdout, /^(Deleted Images:\n(deleted|untagged): sha256:[0-9a-f]{64}\n(.+\n)*\n)?Total reclaimed space: \S+\n$/);
    await same(d, ['image', 'prune', '-f'], normalise);
    await same(d, ['image', 'prune', '-f', '--filter', 'label=nope'], normalise);
  });

  it('search sends the request; the daemon answers an error', async () => {
    const pair = await same(d, ['search', 'busybox'], normalise);
    assert.notEqual(pair.berth.code, 0);
    assert.match(pair.berth.stderr, /^Error response from daemon: /);
  });

  it('help texts are docker’s', async () => {
    for (const args of [['images', '--help'], ['image', 'inspect', '--help'], ['history', '--help'], ['pull', '--help'], ['push', '--help'], ['login', '--help'], ['save', '--help'], ['load', '--help'], ['import', '--help'], ['rmi', '--help'], ['tag', '--help'], ['search', '--help'], ['image', 'prune', '--help']]) {
      await same(d, args, (s) => s);
    }
  });
});
