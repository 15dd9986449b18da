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
import http from 'node:http';
import path from 'node:path';
import { emptyHeader } from '../../../src/storage/tar/header.js';
import { tarBytes, type TarMember } from '../../../src/storage/tar/writer.js';
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

test('RUN containers get the build\'s --memory, --cpu-shares and --ulimit (dockerd\'s legacy builder); --isolation other than default is refused', { skip }, async () => {
  const dir = path.join(work, 'resources');
  await writeTree(dir, {
    Dockerfile:
      'FROM busybox\nRUN echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max) nofile=$(ulimit -n)\n',
  });
  const res = await build(['--no-cache', '--memory', '64m', '--cpu-shares', '512', '--ulimit', 'nofile=512:1024'], dir);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /\nmem=67108864 nofile=512\n/);
  const isolated = await build(['--isolation', 'hyperv'], dir);
  assert.equal(isolated.code, 1);
  assert.match(isolated.stderr, /Error response from daemon: Unsupported isolation: "hyperv"/);
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

test('a Dockerfile on stdin (-f -) with a context directory', { skip }, async () => {
  const dir = path.join(work, 'stdin-df');
  await writeTree(dir, { 'f.txt': 'from context\n' });
  const res = await d.docker(['build', '-f', '-', dir], { env, timeoutMs: 120_000, input: 'FROM busybox\nCOPY f.txt /f.txt\nRUN cat /f.txt\n' });
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /Running in [0-9a-f]{12}\nfrom context\n/);
});

interface RawBuild {
  status: number;
  text: string;
}

/**
 * POST /build with `tar` as a chunked body sent `pieceSize` bytes at a time,
 * `delayMs` apart (a slow client); `abortAfter` bytes: the client goes away.
 */
function postContext(tar: Buffer, query: string, pieceSize: number, delayMs: number, abortAfter?: number): Promise<RawBuild> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, path: `/v1.47/build?${query}`, method: 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (err) => (abortAfter === undefined ? reject(err) : resolve({ status: 0, text: String(err) })));
    let sent = 0;
    const next = (): void => {
      if (abortAfter !== undefined && sent >= abortAfter) {
        req.destroy();
        resolve({ status: 0, text: 'aborted' });
        return;
      }
      if (sent >= tar.length) {
        req.end();
        return;
      }
      req.write(tar.subarray(sent, sent + pieceSize));
      sent += pieceSize;
      setTimeout(next, delayMs);
    };
    next();
  });
}

async function contextTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const members: TarMember[] = Object.entries(files).map(([name, content]) => {
    const body = Buffer.from(content);
    return { header: { ...emptyHeader(name, 'file'), size: body.length, mode: 0o644, mtime: 1_700_000_000 }, body };
  });
  const parts: Buffer[] = [];
  for await (const chunk of tarBytes(members)) parts.push(chunk);
  return Buffer.concat(parts);
}

test('a context sent slowly in small pieces builds as one sent at once; a truncated one is an HTTP error; a client leaving mid-context leaves nothing', { skip }, async () => {
  const big = Buffer.alloc(300_000, 'x');
  const tar = await contextTar({ Dockerfile: 'FROM busybox\nCOPY . /ctx\nRUN wc -c /ctx/big /ctx/small\n', big, small: 'small\n' });
  const slow = await postContext(tar, 't=slowctx', 4096, 1);
  assert.equal(slow.status, 200, slow.text);
  assert.match(slow.text, /300000 \/ctx\/big\\n/);
  assert.match(slow.text, /Successfully tagged slowctx:latest/);
  // The same context again, in 1000-byte pieces: all cached (the content hash does not depend on how it arrived).
  const again = await postContext(tar, 't=slowctx', 1000, 0);
  assert.equal(again.text.split('Using cache').length - 1, 2, again.text);

  // Cut inside the big file's data: dockerd's "Error processing tar file", as an HTTP error before any output.
  const truncated = await postContext(tar.subarray(0, 2048 + 100_000), 't=truncated', 8192, 0);
  assert.equal(truncated.status, 400, truncated.text);
  assert.deepEqual(JSON.parse(truncated.text), { message: 'Error processing tar file: archive/tar: unexpected EOF' });

  await postContext(tar, 't=gone', 4096, 2, 150_000);
  // The daemon noticed and cleaned up; it still builds.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await leftovers(), []);
  const after = await postContext(tar, 't=slowctx', 65536, 0);
  assert.equal(after.status, 200, after.text);
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

// ------------------------------------------------------------------ independent stages

/** The output with IDs and the context size made comparable. */
function normalized(out: string): string {
  return out
    .replace(/^Sending build context to Docker daemon [^\n]*\n/, '')
    .replace(/\b[0-9a-f]{12}\b/g, '<id>');
}

/** What a failed or finished build may leave: containers, build-* writable layers and their mounts, builder temp files. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const ps = await d.docker(['ps', '-aq'], { env });
  if (ps.stdout.trim()) found.push(`containers: ${ps.stdout.trim()}`);
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name.startsWith('build-')) found.push(`writable layer ${p}`);
      else if (depth < 5) await walk(p, depth + 1);
    }
  };
  await walk(d.dataRoot, 0);
  const tmp = await fs.readdir(path.join(d.dataRoot, 'builder', 'tmp')).catch(() => []);
  if (tmp.length) found.push(`builder/tmp: ${tmp.join(' ')}`);
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mounts.split('\n')) {
    const point = line.split(' ')[4] ?? '';
    if (point.startsWith(d.dataRoot) && /build-|\/merged$|\/containers\//.test(point)) found.push(`mount ${point}`);
  }
  return found;
}

test('independent stages build at the same time (their RUNs meet through a shared cache mount); the output is the sequential one, in Dockerfile order', { skip }, async () => {
  const dir = path.join(work, 'parallel');
  // Each RUN marks its arrival in a cache mount both see, then waits (up to
  // 30 s) for the other's mark: "met" proves the two ran at the same time,
  // a sequential build would write "alone". Not a timing check.
  const rendezvous = `rv-${process.pid}-${Date.now()}`;
  const runOf = (me: string, other: string): string =>
    `RUN --mount=type=cache,id=${rendezvous},target=/rv echo ${me}: start && touch /rv/${me} && i=0 && while [ ! -e /rv/${other} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; if [ -e /rv/${other} ]; then echo met > /met; else echo alone > /met; fi; sleep 1; echo ${me}: done`;
  await writeTree(dir, {
    Dockerfile: `FROM busybox AS a\n${runOf('a', 'b')}\nFROM busybox AS b\n${runOf('b', 'a')}\nFROM busybox\nCOPY --from=a /met /a.met\nCOPY --from=b /met /b.met\nRUN cat /a.met /b.met\n`,
  });
  const res = await build(['--no-cache'], dir);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  assert.equal(
    normalized(res.stdout),
    `Step 1/8 : FROM busybox AS a
 ---> <id>
Step 2/8 : ${runOf('a', 'b')}
 ---> Running in <id>
a: start
a: done
Removing intermediate container <id>
 ---> <id>
Step 3/8 : FROM busybox AS b
 ---> <id>
Step 4/8 : ${runOf('b', 'a')}
 ---> Running in <id>
b: start
b: done
Removing intermediate container <id>
 ---> <id>
Step 5/8 : FROM busybox
 ---> <id>
Step 6/8 : COPY --from=a /met /a.met
 ---> <id>
Step 7/8 : COPY --from=b /met /b.met
 ---> <id>
Step 8/8 : RUN cat /a.met /b.met
 ---> Running in <id>
met
met
Removing intermediate container <id>
 ---> <id>
Successfully built <id>
`,
  );
  assert.deepEqual(await leftovers(), []);

  // Cached, the same build prints the same steps with the cache lines, still in order.
  const again = await build([], dir);
  assert.equal(again.code, 0, again.stderr);
  const cached = await build([], dir);
  assert.equal(normalized(cached.stdout), normalized(again.stdout));
  assert.equal(cached.stdout.split('\n').filter((l) => l === ' ---> Using cache').length, 5, cached.stdout);
  assert.deepEqual(stepsOf(cached.stdout).map((l) => l.slice(0, 10)), ['Step 1/8 :', 'Step 2/8 :', 'Step 3/8 :', 'Step 4/8 :', 'Step 5/8 :', 'Step 6/8 :', 'Step 7/8 :', 'Step 8/8 :']);
});

test('independent stages failing: the first failing stage in Dockerfile order is reported (its message and exit code) even when a later one fails first; nothing is left', { skip }, async () => {
  const dir = path.join(work, 'parallel-fail');
  await writeTree(dir, {
    Dockerfile: 'FROM busybox AS slow\nRUN sleep 2; echo slow failing; exit 3\nFROM busybox AS fast\nRUN echo fast failing; exit 5\nFROM busybox\nCOPY --from=slow / /s\nCOPY --from=fast / /f\n',
  });
  const res = await build(['--no-cache'], dir);
  assert.equal(res.code, 3, res.stderr + res.stdout);
  assert.match(res.stderr, /The command '\/bin\/sh -c sleep 2; echo slow failing; exit 3' returned a non-zero code: 3\n/);
  // What the sequential build printed: the failing stage's steps and nothing after them.
  assert.match(normalized(res.stdout), /^Step 1\/7 : FROM busybox AS slow\n ---> <id>\nStep 2\/7 : RUN sleep 2; echo slow failing; exit 3\n ---> Running in <id>\nslow failing\n$/);
  assert.deepEqual(await leftovers(), []);
});

test('independent stages: an earlier stage failing cancels a later one still running (its RUN is killed); nothing is left', { skip }, async () => {
  const dir = path.join(work, 'parallel-cancel');
  await writeTree(dir, {
    Dockerfile: 'FROM busybox AS first\nRUN sleep 1; exit 4\nFROM busybox AS long\nRUN echo long running; sleep 60\nFROM busybox\nCOPY --from=first / /a\nCOPY --from=long / /b\n',
  });
  const t0 = Date.now();
  const res = await build(['--no-cache'], dir);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(res.code, 4, res.stderr + res.stdout);
  assert.match(res.stderr, /The command '\/bin\/sh -c sleep 1; exit 4' returned a non-zero code: 4\n/);
  assert.ok(!res.stdout.includes('long running'), res.stdout);
  // Loose on purpose: the build did not wait for `sleep 60` (the later RUN was killed), not a speed check.
  assert.ok(seconds < 50, `took ${seconds}s`);
  assert.deepEqual(await leftovers(), []);
});

test('independent stages: a later stage failing first waits for the earlier one\'s whole output, then its own error', { skip }, async () => {
  const dir = path.join(work, 'parallel-later');
  await writeTree(dir, {
    Dockerfile: 'FROM busybox AS ok\nRUN sleep 1; echo ok done\nFROM busybox AS bad\nRUN echo bad failing; exit 5\nFROM busybox\nCOPY --from=ok / /a\nCOPY --from=bad / /b\n',
  });
  const res = await build(['--no-cache'], dir);
  assert.equal(res.code, 5, res.stderr + res.stdout);
  assert.match(res.stderr, /The command '\/bin\/sh -c echo bad failing; exit 5' returned a non-zero code: 5\n/);
  assert.equal(
    normalized(res.stdout),
    'Step 1/7 : FROM busybox AS ok\n ---> <id>\nStep 2/7 : RUN sleep 1; echo ok done\n ---> Running in <id>\nok done\nRemoving intermediate container <id>\n ---> <id>\n' +
      'Step 3/7 : FROM busybox AS bad\n ---> <id>\nStep 4/7 : RUN echo bad failing; exit 5\n ---> Running in <id>\nbad failing\n',
  );
  assert.deepEqual(await leftovers(), []);
});

test('independent stages with the same step: one runs it, the other uses its image from the cache (as when built one after the other)', { skip }, async () => {
  const dir = path.join(work, 'parallel-same');
  const marker = `same-${process.pid}-${Date.now()}`;
  await writeTree(dir, {
    Dockerfile: `FROM busybox AS x\nRUN echo ${marker} > /s\nFROM busybox AS y\nRUN echo ${marker} > /s\nFROM busybox\nCOPY --from=x /s /x\nCOPY --from=y /s /y\n`,
  });
  const res = await build([], dir);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const runs = /Step 2\/7 : [^\n]*\n( ---> Running in| ---> Using cache)[\s\S]*?\n ---> ([0-9a-f]{12})\n/.exec(res.stdout);
  const other = /Step 4\/7 : [^\n]*\n( ---> Running in| ---> Using cache)[\s\S]*?\n ---> ([0-9a-f]{12})\n/.exec(res.stdout);
  assert.ok(runs && other, res.stdout);
  assert.deepEqual([runs[1], other[1]].sort(), [' ---> Running in', ' ---> Using cache']);
  assert.equal(runs[2], other[2]);
});
