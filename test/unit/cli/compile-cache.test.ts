// Where the CLI entry (src/cli/main.ts) keeps Node's compile cache: a private
// directory of the user's, never one someone else could write to, and the
// CLI runs the same without one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { berthMain, nodeBin } from '../../helpers/daemon.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'berth-compile-cache-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function berthVersion(env: Record<string, string>): string {
  const r = spawnSync(nodeBin, [berthMain, '--version'], { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('compile cache directory', () => {
  it('is ~/.cache/berth/compile-cache, made private', () => {
    const home = path.join(work, 'home');
    mkdirSync(home);
    assert.match(berthVersion({ HOME: home, TMPDIR: work }), /^Berth version /);
    const dir = path.join(home, '.cache/berth/compile-cache');
    assert.ok(statSync(dir).isDirectory());
    assert.equal(statSync(dir).mode & 0o077, 0);
  });

  it('follows XDG_CACHE_HOME', () => {
    const xdg = path.join(work, 'xdg');
    berthVersion({ HOME: path.join(work, 'home'), XDG_CACHE_HOME: xdg, TMPDIR: work });
    assert.ok(existsSync(path.join(xdg, 'berth/compile-cache')));
  });

  it('is not made under a directory another user owns (sudo -E keeps HOME); the temp dir serves instead', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
    const theirs = path.join(work, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    const tmp = path.join(work, 'tmp');
    mkdirSync(tmp);
    assert.match(berthVersion({ HOME: path.join(theirs, 'home'), TMPDIR: tmp }), /^Berth version /);
    assert.equal(existsSync(path.join(theirs, 'home')), false);
    assert.ok(existsSync(path.join(tmp, `berth-compile-cache-${process.getuid?.()}`)));
  });

  it('is not used when the temp dir copy belongs to someone else, and the CLI still runs', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
    const tmp = path.join(work, 'tmp2');
    mkdirSync(tmp);
    const planted = path.join(tmp, `berth-compile-cache-${process.getuid?.()}`);
    mkdirSync(planted);
    chownSync(planted, 65534, 65534);
    assert.match(berthVersion({ TMPDIR: tmp }), /^Berth version /);
    assert.deepEqual(statSync(planted).uid, 65534);
  });

  it('is not made with NODE_DISABLE_COMPILE_CACHE=1', () => {
    const home = path.join(work, 'home-disabled');
    mkdirSync(home);
    berthVersion({ HOME: home, TMPDIR: work, NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(existsSync(path.join(home, '.cache')), false);
  });
});
