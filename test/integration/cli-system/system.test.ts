// version, info, events, system df and system prune through berth and the
// docker CLI on a real berthd. The client half of version and info is
// berth's own; the server half and the templates must match docker's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { berthMain, dockerCli, haveDockerCli, nodeBin, runProcess, type TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon, normalise, same } from '../cli-images/helpers.js';

const skip = !haveDockerCli || !existsSync('/bin/busybox');

describe('system commands: berth and docker side by side', { skip: skip && 'needs the docker CLI and /bin/busybox' }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
    assert.equal((await d.berth(['image', 'busybox'])).code, 0);
  });
  after(async () => d?.cleanup());

  it("version --format '{{.Server.APIVersion}}' prints 1.47", async () => {
    const v = await same(d, ['version', '--format', '{{.Server.APIVersion}}']);
    assert.equal(v.berth.stdout, '1.47\n');
    await same(d, ['version', '--format', '{{.Server.Version}} {{.Server.Os}}/{{.Server.Arch}} {{.Server.MinAPIVersion}} {{len .Server.Components}}']);
    await same(d, ['version', '--format', '{{json .Server}}']);
    await same(d, ['version', '--format', '{{.Server.ApiVersion}}']);
  });

  it('version: the server section as docker prints it; the client section with berth’s figures', async () => {
    const { docker, berth } = await same(d, ['version'], (s) => s.slice(s.indexOf('\nServer:')));
    assert.match(berth.stdout, /^Client:\n Version: {11}\d+\.\d+\.\d+\S*\n API version: {7}1\.47\n Go version: {8}node\d+\.\d+\.\d+\n Git commit: {8}\S+\n Built: {13}.*\n OS\/Arch: {11}linux\/\w+\n Context: {11}default\n\nServer: /);
    assert.ok(docker.stdout.includes('(downgraded from'));
    const json = JSON.parse((await d.berth(['version', '--format', 'json'])).stdout) as { Client: Record<string, string>; Server: Record<string, unknown> };
    assert.equal(json.Client.ApiVersion, '1.47');
    assert.equal(json.Server.ApiVersion, '1.47');
  });

  it('version and info when the daemon is unreachable', async () => {
    for (const args of [['version'], ['info'], ['version', '--format', '{{.Server.Version}}'], ['info', '--format', '{{.ID}}']]) {
      const gone = ['-H', 'unix:///nonexistent/berth.sock', ...args];
      const env = { DOCKER_CONFIG: `${d.dir}/docker-config` };
      const docker = await runProcess(dockerCli, gone, { env });
      const berth = await runProcess(nodeBin, [berthMain, ...gone], { env });
      assert.equal(berth.code, 1);
      assert.equal(berth.code, docker.code);
      assert.equal(berth.stderr, docker.stderr);
    }
  });

  it("info: server figures, and --format '{{json .}}' is JSON with docker's fields", async () => {
    await same(d, ['info'], (s) => s.slice(s.indexOf('\nServer:')).replace(/ (NFd|File Descriptors|System Time): .*/g, ''));
    const berth = await d.berth(['info', '--format', '{{json .}}']);
    assert.equal(berth.code, 0);
    const info = JSON.parse(berth.stdout) as Record<string, unknown>;
    const dockerInfo = JSON.parse((await d.docker(['info', '--format', '{{json .}}'])).stdout) as Record<string, unknown>;
    const serverKeys = (o: Record<string, unknown>): string[] => Object.keys(o).filter((k) => k !== 'ClientInfo');
    assert.deepEqual(serverKeys(info), serverKeys(dockerInfo));
    assert.deepEqual(Object.keys(info.ClientInfo as object), Object.keys(dockerInfo.ClientInfo as object));
    await same(d, ['info', '--format', '{{.Images}} {{.Driver}} {{.CPUCfsQuota}} {{.OSType}} {{.Plugins.Volume}} {{.ClientInfo.Context}}']);
    await same(d, ['system', 'info', '--format', '{{.Nope}}']);
  });

  it('events: --since/--until replay (or the daemon’s answer, the same for both)', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await d.berth(['tag', 'busybox', 'evt:1'])).code, 0);
    for (const args of [
      ['events', '--since', String(now - 60), '--until', String(now + 2)],
      ['events', '--since', '1m', '--until', String(now + 2), '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'],
      ['events', '--since', '1m', '--until', String(now + 2), '--format', 'json', '--filter', 'type=image'],
      ['system', 'events', '--until', '0', '--format', '{{.Nope}}'],
      ['events', '--since', 'yesterday', '--until', '1'],
    ]) {
      await same(d, args, normalise);
    }
  });

  it('system df (or the daemon’s answer, the same for both)', async () => {
    for (const args of [['system', 'df'], ['system', 'df', '-v'], ['system', 'df', '--format', 'json']]) await same(d, args, normalise);
  });

  it('system prune: the confirmation and the answer', async () => {
    await same(d, ['system', 'prune'], normalise, { input: 'n\n' });
    await same(d, ['system', 'prune', '-a', '--volumes', '--filter', 'label=x'], normalise, { input: 'n\n' });
    await same(d, ['system', 'prune', '--volumes', '--filter', 'until=1h']);
    await same(d, ['system', 'prune', '-f'], normalise);
  });
});
