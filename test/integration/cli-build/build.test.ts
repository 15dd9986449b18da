// `berth build` and `berth builder prune` side by side with the docker CLI
// (DOCKER_BUILDKIT=0) on a real berthd: the same context must hit the same
// cache whichever CLI sent it (the daemon hashes what it receives, so this
// checks the two tars agree), and both CLIs print the same thing for a
// cached build, -q, a failing RUN, a parse error, a Dockerfile on stdin and
// `-f -`. Only container IDs of RUN steps are normalised, and docker's
// legacy-builder deprecation notice dropped.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startBuildSetup, writeTree, type BuildSetup } from '../../helpers/busybox-daemon.js';
import { haveDockerCli, type RunResult, type TestDaemon } from '../../helpers/daemon.js';

const skip = !haveDockerCli || process.getuid?.() !== 0 ? 'needs root and the docker CLI' : false;
const env = { DOCKER_BUILDKIT: '0' };
const NOTICE = /^DEPRECATED: The legacy builder is deprecated[^\n]*\n(?: {12}[^\n]*\n)*\n/;

let setup: BuildSetup | undefined;
let d: TestDaemon;
let work: string;

function normalise(r: RunResult): RunResult {
  const clean = (s: string): string => s.replace(/Running in [0-9a-f]{12}/g, 'Running in <id>').replace(/intermediate container [0-9a-f]{12}/g, 'intermediate container <id>');
  return { code: r.code, stdout: clean(r.stdout), stderr: clean(r.stderr.replace(NOTICE, '')).replace(/\bdocker\b/g, 'berth') };
}

async function both(args: string[], input?: string): Promise<{ docker: RunResult; berth: RunResult }> {
  const docker = await d.docker(args, { env, input, timeoutMs: 120_000 });
  const berth = await d.berth(args, { env, input, timeoutMs: 120_000 });
  return { docker: normalise(docker), berth: normalise(berth) };
}

before(async () => {
  if (skip) return;
  setup = await startBuildSetup('berth-cli-build');
  ({ daemon: d, work } = setup);
});

after(async () => {
  await setup?.cleanup();
});

const DOCKERFILE = 'FROM busybox\nENV A=1\nRUN echo hello > /hello\nCOPY . /ctx/\nCMD ["sh"]\n';

test('a context sent by berth hits the cache the docker CLI built, and both print the same', { skip }, async () => {
  const dir = path.join(work, 'cache');
  await writeTree(dir, {
    Dockerfile: DOCKERFILE,
    'a.txt': 'a\n',
    'sub/b.txt': 'b\n',
    '.dockerignore': '*.log\n',
    'x.log': 'ignored\n',
  });
  await fs.chmod(path.join(dir, 'sub/b.txt'), 0o755);
  const first = await d.docker(['build', '-t', 'cache-test', dir], { env, timeoutMs: 120_000 });
  assert.equal(first.code, 0, first.stderr);
  const { docker, berth } = await both(['build', '-t', 'cache-test', dir]);
  assert.equal(docker.code, 0, docker.stderr);
  assert.match(docker.stdout, /Step 4\/5 : COPY \. \/ctx\/\n ---> Using cache\n/);
  assert.deepEqual(berth, docker);
});

test('-q and --iidfile print and write the same ID', { skip }, async () => {
  const dir = path.join(work, 'cache');
  const { docker, berth } = await both(['build', '-q', dir]);
  assert.equal(docker.code, 0, docker.stderr);
  assert.match(docker.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.deepEqual(berth, docker);
  const idFile = path.join(work, 'iid');
  const r = await d.berth(['build', '--iidfile', idFile, dir], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await fs.readFile(idFile, 'utf8'), docker.stdout.trim());
});

test('a failing RUN: same output, same error, exit 1', { skip }, async () => {
  const dir = path.join(work, 'fail');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nRUN echo about to fail && false\n' });
  const { docker, berth } = await both(['build', dir]);
  assert.equal(docker.code, 1);
  assert.match(docker.stderr, /The command '\/bin\/sh -c echo about to fail && false' returned a non-zero code: 1/);
  assert.deepEqual(berth, docker);
});

test('a parse error: same message and exit code', { skip }, async () => {
  const dir = path.join(work, 'parse');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nRUNN x\n' });
  const { docker, berth } = await both(['build', dir]);
  assert.notEqual(docker.code, 0);
  assert.deepEqual(berth, docker);
  const quiet = await both(['build', '-q', dir]);
  assert.deepEqual(quiet.berth, quiet.docker);
});

test('Dockerfile on stdin, and -f - with a directory context', { skip }, async () => {
  const dir = path.join(work, 'cache');
  // docker builds first, so both runs compared are the cached one
  await d.docker(['build', '-'], { env, input: 'FROM busybox\nENV FROM_STDIN=1\n' });
  const stdinOnly = await both(['build', '-'], 'FROM busybox\nENV FROM_STDIN=1\n');
  assert.equal(stdinOnly.docker.code, 0, stdinOnly.docker.stderr);
  assert.deepEqual(stdinOnly.berth, stdinOnly.docker);
  // COPY of named files: `COPY .` would take the .dockerignore that carries the random Dockerfile name, new each run
  const named = 'FROM busybox\nCOPY a.txt sub/ /x/\n';
  await d.docker(['build', '-f', '-', dir], { env, input: named });
  const dashF = await both(['build', '-f', '-', dir], named);
  assert.equal(dashF.docker.code, 0, dashF.docker.stderr);
  assert.deepEqual(dashF.berth, dashF.docker);
});

test('builder prune -f reports the same way', { skip }, async () => {
  const docker = await d.docker(['builder', 'prune', '-f'], { env });
  assert.equal(docker.code, 0, docker.stderr);
  const berth = await d.berth(['builder', 'prune', '-f', '-a'], { env });
  assert.equal(berth.code, 0, berth.stderr);
  assert.match(berth.stdout, /(?:^Deleted build cache objects:\n(?:\S+\n)+\n)?Total reclaimed space: \S+\n$/);
  const again = await both(['builder', 'prune', '-f', '-a']);
  assert.deepEqual(again.berth, again.docker);
  assert.equal(again.berth.stdout, 'Total reclaimed space: 0B\n');
});
