// `docker build` (the real docker CLI, legacy builder: DOCKER_BUILDKIT=0)
// against a real berthd: multi-stage with heredocs, ARGs, .dockerignore and
// --target; the cache (second build all cached, content change vs touch,
// restart, builder prune); the result's USER/WORKDIR/ENV in `docker run`;
// history; a failing RUN and a parse error with docker's wording. Expected
// texts were recorded from dockerd 20.10.24 on this machine kind (parse
// errors use current docker's wording, which the parser follows).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, utimesSync } from 'node:fs';
import path from 'node:path';
import { startBuildSetup, writeTree, type BuildSetup } from '../../helpers/busybox-daemon.js';
import { haveDockerCli, type RunResult, type TestDaemon } from '../../helpers/daemon.js';

const skip = !haveDockerCli || process.getuid?.() !== 0 ? 'needs root and the docker CLI' : false;
let d: TestDaemon;
let work: string;

const env = { DOCKER_BUILDKIT: '0' };

function build(args: string[], dir: string): Promise<RunResult> {
  return d.docker(['build', ...args, dir], { env, timeoutMs: 120_000 });
}

function stepsOf(out: string): string[] {
  return out.split('\n').filter((l) => l.startsWith('Step '));
}

let setup: BuildSetup | undefined;

before(async () => {
  if (skip) return;
  setup = await startBuildSetup('berth-build');
  ({ daemon: d, work } = setup);
});

after(async () => {
  await setup?.cleanup();
});

const multiStage = `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM \${BASE} AS base
ARG GREETING=hello
ENV APP_HOME=/srv/app
WORKDIR \${APP_HOME}
COPY src/ ./src/
RUN <<EOF
echo "\${GREETING} from heredoc" > /srv/app/greeting.txt
ls /srv/app/src > /srv/app/listing.txt
EOF

FROM base AS unused
RUN echo this stage is never built

FROM base AS final
ARG GREETING
COPY <<EOF /srv/app/note.txt
note for \${GREETING}
EOF
USER nobody
CMD ["sh", "-c", "cat greeting.txt listing.txt note.txt; echo user=$(id -u) pwd=$(pwd) home=$APP_HOME"]

FROM busybox AS after
RUN echo after target
`;

test('multi-stage build with heredocs, ARGs, .dockerignore and --target; the second build is all cached', { skip }, async () => {
  const dir = path.join(work, 'multi');
  await writeTree(dir, {
    Dockerfile: multiStage,
    'src/keep.txt': 'k',
    'src/drop.log': 'd',
    'src/important.log': 'i',
    '.dockerignore': '*.md\nsrc/*.log\n!src/important.log\n',
    'README.md': 'r',
  });
  const first = await build(['-t', 'app', '--target', 'final', '--build-arg', 'GREETING=hi', '--build-arg', 'UNUSED=1'], dir);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const steps = stepsOf(first.stdout);
  // The unused stage and the one after the target are not built; numbering covers what is.
  assert.ok(!first.stdout.includes('never built'));
  assert.ok(!first.stdout.includes('after target'));
  assert.equal(steps.length, 12);
  assert.equal(steps[0], 'Step 1/12 : ARG BASE=busybox');
  assert.equal(steps[1], 'Step 2/12 : FROM ${BASE} AS base');
  assert.match(first.stdout, /Step 7\/12 : RUN <<EOF\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
  assert.match(first.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed\n/);
  assert.match(first.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged app:latest\n$/);

  const run = await d.docker(['run', '--rm', 'app'], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'hi from heredoc\nimportant.log\nkeep.txt\nnote for hi\nuser=65534 pwd=/srv/app home=/srv/app\n');

  const second = await build(['-t', 'app', '--target', 'final', '--build-arg', 'GREETING=hi', '--build-arg', 'UNUSED=1'], dir);
  assert.equal(second.code, 0, second.stderr);
  // Every step but FROM and the global ARG says it came from the cache.
  const cached = second.stdout.split('\n').filter((l) => l === ' ---> Using cache').length;
  assert.equal(cached, 12 - 1 - 2);
  assert.ok(!second.stdout.includes('Running in'));
  const id1 = /Successfully built ([0-9a-f]{12})/.exec(first.stdout)![1];
  const id2 = /Successfully built ([0-9a-f]{12})/.exec(second.stdout)![1];
  assert.equal(id2, id1);
});

test('COPY: a content change misses the cache, a touch does not', { skip }, async () => {
  const dir = path.join(work, 'cache');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nCOPY data /data\nRUN cat /data/a\n', 'data/a': 'one\n', 'data/b': 'b\n' });
  const first = await build(['-t', 'cachetest'], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\none\n/);
  const later = new Date(Date.now() + 60_000);
  utimesSync(path.join(dir, 'data/a'), later, later);
  const touched = await build(['-t', 'cachetest'], dir);
  assert.equal(touched.stdout.split('\n').filter((l) => l === ' ---> Using cache').length, 2, touched.stdout);
  await fs.writeFile(path.join(dir, 'data/a'), 'two\n');
  const changed = await build(['-t', 'cachetest'], dir);
  assert.equal(changed.code, 0, changed.stderr);
  assert.ok(!changed.stdout.includes('Using cache'), changed.stdout);
  assert.match(changed.stdout, /\ntwo\n/);
});

test('USER, WORKDIR and ENV in docker run; history entries', { skip }, async () => {
  const dir = path.join(work, 'meta');
  await writeTree(dir, {
    Dockerfile: 'FROM busybox\nENV GREETING="hello world" OTHER=x\nWORKDIR /work/dir\nUSER 1000:1000\nLABEL com.example.k=v\nEXPOSE 8080\nCMD ["sh", "-c", "echo $GREETING; pwd; id -u; id -g"]\n',
  });
  const res = await build(['-q', '-t', 'meta'], dir);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const run = await d.docker(['run', '--rm', 'meta'], { env });
  assert.equal(run.stdout, 'hello world\n/work/dir\n1000\n1000\n');
  const hist = await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'meta'], { env });
  const lines = hist.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 6), [
    '/bin/sh -c #(nop)  CMD ["sh" "-c" "echo $GREETING; pwd; id -u; id -g"]|0B',
    '/bin/sh -c #(nop)  EXPOSE 8080|0B',
    '/bin/sh -c #(nop)  LABEL com.example.k=v|0B',
    '/bin/sh -c #(nop)  USER 1000:1000|0B',
    '/bin/sh -c #(nop) WORKDIR /work/dir|0B',
    '/bin/sh -c #(nop)  ENV GREETING=hello world OTHER=x|0B',
  ]);
  const inspect = await d.docker(['inspect', '--format', '{{.Config.User}} {{.Config.WorkingDir}} {{index .Config.Labels "com.example.k"}} {{.Parent}}', 'meta'], { env });
  assert.match(inspect.stdout, /^1000:1000 \/work\/dir v sha256:[0-9a-f]{64}\n$/);
});

test('a failing RUN: docker\'s message, the command\'s exit code (the CLI exits with errorDetail.code), no container left', { skip }, async () => {
  const dir = path.join(work, 'fail');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nRUN echo before && exit 3\n' });
  const res = await build([], dir);
  assert.equal(res.code, 3);
  assert.match(res.stdout, /Step 2\/2 : RUN echo before && exit 3\n ---> Running in [0-9a-f]{12}\nbefore\n/);
  assert.match(res.stderr, /The command '\/bin\/sh -c echo before && exit 3' returned a non-zero code: 3\n/);
  const ps = await d.docker(['ps', '-aq'], { env });
  assert.equal(ps.stdout, '');
});

test('a parse error and a missing COPY source: docker\'s messages', { skip }, async () => {
  const dir = path.join(work, 'parse');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nFOO bar\n', 'Dockerfile.copy': 'FROM busybox\nCOPY nothere /x\n' });
  const res = await build([], dir);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /Error response from daemon: dockerfile parse error on line 2: unknown instruction: FOO/);
  const copy = await build(['-f', path.join(dir, 'Dockerfile.copy')], dir);
  assert.equal(copy.code, 1);
  assert.match(copy.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere: file does not exist\n/);
});

test('a Dockerfile from outside the context (the CLI renames it into the tar)', { skip }, async () => {
  const dir = path.join(work, 'outside-ctx');
  const outside = path.join(work, 'outside-df');
  await writeTree(dir, { 'f.txt': 'from context\n' });
  await writeTree(outside, { Dockerfile: 'FROM busybox\nCOPY . /ctx\nRUN ls -A /ctx && cat /ctx/f.txt\n' });
  const res = await build(['-f', path.join(outside, 'Dockerfile')], dir);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Running in [0-9a-f]{12}\nf\.txt\nfrom context\n/);
});

test('the cache survives a restart; builder prune empties it', { skip }, async () => {
  const dir = path.join(work, 'prune');
  await writeTree(dir, { Dockerfile: 'FROM busybox\nENV A=1\nRUN echo cached > /c\n' });
  const first = await build(['-t', 'prunetest'], dir);
  assert.equal(first.code, 0, first.stderr);
  await d.restart();
  const again = await build(['-t', 'prunetest'], dir);
  assert.equal(again.stdout.split('\n').filter((l) => l === ' ---> Using cache').length, 2, again.stdout);
  const prune = await d.api('POST', '/build/prune?all=1');
  assert.equal(prune.status, 200);
  const body = prune.json as { CachesDeleted: string[] | null; SpaceReclaimed: number };
  assert.ok((body.CachesDeleted ?? []).length >= 2);
  const rebuilt = await build(['-t', 'prunetest'], dir);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.ok(!rebuilt.stdout.includes('Using cache'), rebuilt.stdout);
});
