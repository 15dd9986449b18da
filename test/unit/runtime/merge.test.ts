// How a container's Config comes from the client's and the image's (moby
// runconfig Merge, daemon getEntrypointAndArgs), including `--entrypoint ""`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entrypointAndArgs, finalizeConfig, mergeEnv, mergeImageConfig } from '../../../src/runtime/merge.js';

const image = {
  Env: ['PATH=/usr/bin:/bin', 'LANG=C'],
  Cmd: ['sh'],
  Entrypoint: ['/init'],
  WorkingDir: '/srv',
  User: 'app',
  Labels: { from: 'image', keep: 'yes' },
  ExposedPorts: { '80/tcp': {} as Record<string, never> },
  StopSignal: 'SIGQUIT',
  Volumes: { '/data': {} as Record<string, never> },
};

describe('merging the image config into the container\'s', () => {
  it('fills what the client left empty and combines env and labels by key', () => {
    const c = mergeImageConfig({ Image: 'x', Env: ['LANG=fr', 'X=1'], Labels: { from: 'client' } }, image);
    assert.deepEqual(c.Env, ['PATH=/usr/bin:/bin', 'LANG=fr', 'X=1']);
    assert.deepEqual(c.Labels, { from: 'client', keep: 'yes' });
    assert.equal(c.WorkingDir, '/srv');
    assert.equal(c.User, 'app');
    assert.equal(c.StopSignal, 'SIGQUIT');
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp']);
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ['/data']);
  });

  it('takes the image\'s Volumes for an empty one of the client\'s (the CLI sends {}; dockerd 20.10 shows null)', () => {
    assert.equal(mergeImageConfig({ Image: 'x', Volumes: {} }, { Cmd: ['sh'] }).Volumes, null);
    assert.equal(mergeImageConfig({ Image: 'x' }, { Cmd: ['sh'], Volumes: null }).Volumes, null);
    assert.deepEqual(Object.keys(mergeImageConfig({ Image: 'x', Volumes: {} }, image).Volumes ?? {}), ['/data']);
    assert.deepEqual(Object.keys(mergeImageConfig({ Image: 'x', Volumes: { '/v': {} } }, image).Volumes ?? {}).sort(), ['/data', '/v']);
    assert.deepEqual(mergeImageConfig({ Image: 'x', Volumes: { '/v': {} } }, { Cmd: ['sh'] }).Volumes, { '/v': {} });
  });

  it('uses the image\'s Cmd only without a client Entrypoint and Cmd (table from moby runconfig)', () => {
    const cases: Array<[Partial<{ Entrypoint: string[] | null; Cmd: string[] | null }>, string, string[]]> = [
      [{}, '/init', ['sh']],
      [{ Cmd: ['echo', 'hi'] }, '/init', ['echo', 'hi']],
      [{ Entrypoint: ['top'] }, 'top', []],
      [{ Entrypoint: ['top'], Cmd: ['-b'] }, 'top', ['-b']],
      [{ Entrypoint: [''], Cmd: ['echo', 'x'] }, 'echo', ['x']],
    ];
    for (const [user, path, args] of cases) {
      const c = mergeImageConfig({ Image: 'x', ...user }, image);
      assert.deepEqual(entrypointAndArgs(c), { path, args }, JSON.stringify(user));
    }
  });

  it('refuses --entrypoint "" without a command: the image\'s Cmd is not used', () => {
    const c = mergeImageConfig({ Image: 'x', Entrypoint: [''] }, image);
    assert.equal(c.Entrypoint, null);
    assert.throws(() => entrypointAndArgs(c), { message: 'No command specified' });
  });

  it('keeps the image\'s env order and replaces by key', () => {
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C']), ['A=1', 'B=3', 'C']);
  });

  it('defaults the hostname to the short ID and keeps Image as typed', () => {
    const id = 'a'.repeat(64);
    const c = finalizeConfig({ Image: 'busybox' }, id, { hostNetwork: false, hostHostname: 'host', imageRef: 'busybox' });
    assert.equal(c.Hostname, 'aaaaaaaaaaaa');
    assert.equal(c.Image, 'busybox');
    assert.equal(finalizeConfig({}, id, { hostNetwork: true, hostHostname: 'host', imageRef: 'b' }).Hostname, 'host');
  });
});
