// pull, push, login and logout through berth and the docker CLI against real
// registries (test/helpers/registry.ts: no auth, and htpasswd Basic auth),
// on a real berthd. Each CLI keeps its own config directory so their stored
// credentials don't mix; outputs must be the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { haveDockerCli, type RunResult, type TestDaemon } from '../../helpers/daemon.js';
import { haveRegistry, startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { asBerth, freshDaemon } from '../cli-images/helpers.js';

const skip = !haveDockerCli || !haveRegistry;

describe('pull, push, login, logout: berth and docker side by side', { skip: skip && 'needs the docker CLI and docker-registry' }, () => {
  let d: TestDaemon;
  let open: TestRegistry;
  let basic: TestRegistry;
  const config = (cli: 'docker' | 'berth'): string => path.join(d.dir, `config-${cli}`);
  const run = (cli: 'docker' | 'berth', args: string[], input?: string): Promise<RunResult> =>
    cli === 'docker' ? d.docker(args, { env: { DOCKER_CONFIG: config(cli) }, input }) : d.berth(args, { env: { DOCKER_CONFIG: config(cli) }, input });
  const bothSame = async (args: string[], input?: string, norm: (s: string) => string = (s) => s): Promise<RunResult> => {
    const docker = await run('docker', args, input);
    const berth = await run('berth', args, input);
    const label = args.join(' ');
    assert.equal(norm(berth.stderr.replaceAll(config('berth'), 'CFG')), norm(asBerth(docker.stderr).replaceAll(config('docker'), 'CFG')), `stderr of ${label}`);
    assert.equal(norm(berth.stdout), norm(docker.stdout), `stdout of ${label}`);
    assert.equal(berth.code, docker.code, `exit code of ${label}`);
    return berth;
  };

  before(async () => {
    d = await freshDaemon();
    open = await startRegistry();
    basic = await startRegistry({ auth: 'htpasswd' });
    assert.equal((await d.berth(['image', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.cleanup();
    await open?.stop();
    await basic?.stop();
  });

  it('push and pull without auth', async () => {
    for (const tag of ['1', '2']) assert.equal((await d.berth(['tag', 'busybox', `${open.host}/bb:${tag}`])).code, 0);
    // the first push uploads, the second finds the layer there: push once per CLI, in turn
    const first = await run('berth', ['push', `${open.host}/bb:1`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^The push refers to repository \\[${open.host}/bb\\]\n[0-9a-f]{12}: Preparing\n[0-9a-f]{12}: Pushed\n1: digest: sha256:[0-9a-f]{64} size: \\d+\n$`));
    await bothSame(['push', `${open.host}/bb:1`]);
    await bothSame(['push', '-q', `${open.host}/bb:2`]);
    await bothSame(['push', '-a', `${open.host}/bb`]);
    await bothSame(['push', `${open.host}/bb`]);
    await bothSame(['push', '-a', `${open.host}/bb:1`]);
    await bothSame(['push', `${open.host}/NOPE`]);

    for (const cli of ['docker', 'berth'] as const) {
      await run(cli, ['rmi', '-f', `${open.host}/bb:1`, `${open.host}/bb:2`]);
      const pulled = await run(cli, ['pull', `${open.host}/bb:1`]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.match(pulled.stdout, new RegExp(`^1: Pulling from bb\n([0-9a-f]{12}: Already exists\n)?Digest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for ${open.host}/bb:1\n${open.host}/bb:1\n$`));
    }
    await bothSame(['pull', `${open.host}/bb:1`]);
    await bothSame(['pull', '-q', `${open.host}/bb:2`]);
    await bothSame(['pull', '-a', `${open.host}/bb`]);
    await bothSame(['pull', `${open.host}/bb`]);
    await bothSame(['pull', `${open.host}/nope:1`]);
    const digest = /sha256:[0-9a-f]{64}/.exec((await run('berth', ['image', 'inspect', '-f', '{{index .RepoDigests 0}}', `${open.host}/bb:1`])).stdout)![0];
    await bothSame(['pull', `${open.host}/bb@${digest}`]);
    await bothSame(['pull', 'UPPER']);
  });

  it('login stores credentials docker reads, push and pull then authenticate, logout erases them', async () => {
    assert.equal((await d.berth(['tag', 'busybox', `${basic.host}/priv:1`])).code, 0);
    await bothSame(['push', `${basic.host}/priv:1`], undefined, (s) => s.replace(/[0-9a-f]{64}/g, 'DIGEST'));

    await bothSame(['login', '-u', basic.username!, '--password-stdin', basic.host], 'wrong\n');
    await bothSame(['login', '-u', basic.username!, '--password-stdin', basic.host], `${basic.password}\n`);
    const stored = JSON.parse(readFileSync(path.join(config('berth'), 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    const dockerStored = JSON.parse(readFileSync(path.join(config('docker'), 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(stored, dockerStored);
    assert.equal(Buffer.from(stored.auths[basic.host]!.auth, 'base64').toString(), `${basic.username}:${basic.password}`);

    // the docker CLI pushes with what berth stored, and the reverse
    const pushedByDocker = await d.docker(['push', `${basic.host}/priv:1`], { env: { DOCKER_CONFIG: config('berth') } });
    assert.equal(pushedByDocker.code, 0, pushedByDocker.stderr);
    await bothSame(['push', `${basic.host}/priv:1`]);
    for (const cli of ['docker', 'berth'] as const) {
      assert.equal((await run(cli, ['rmi', `${basic.host}/priv:1`])).code, 0);
      const pulled = await run(cli, ['pull', `${basic.host}/priv:1`]);
      assert.equal(pulled.code, 0, pulled.stderr);
    }
    await bothSame(['login', basic.host]);
    await bothSame(['login', '-u', basic.username!, '-p', basic.password!, basic.host]);
    await bothSame(['login', '-u', basic.username!, basic.host]);
    await bothSame(['login', '--password-stdin', basic.host], 'x\n');
    await bothSame(['login', '-p', 'x', '--password-stdin', '-u', 'u', basic.host], 'x\n');
    await bothSame(['logout', basic.host]);
    await bothSame(['logout', basic.host]);
    await bothSame(['pull', `${basic.host}/priv:1`], undefined, (s) => s.replace(/"[^"]*"/g, 'URL').replace(/\b(Get|Head)\b/, 'VERB'));
    await bothSame(['login', basic.host]);
  });
});
