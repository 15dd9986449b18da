// Pure pieces of the builder: build-arg scoping (moby buildargs.go), the
// step output and history texts (recorded from dockerd 20.10.24's legacy
// builder on this machine), cache keys, COPY source hashing and globs, and
// the context reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BuildArgs, unconsumedWarning } from '../../../src/build/builder/args.js';
import { cacheKey, canonicalJson } from '../../../src/build/builder/cache.js';
import { BuildContext, contextRel } from '../../../src/build/builder/context.js';
import { contextTree, globToRegExp, resolveSources, sourcesHash } from '../../../src/build/builder/copy.js';
import {
  goQuoteList,
  imageLine,
  nonZeroMessage,
  nopCmd,
  nopCmdOne,
  removingLine,
  runCmdWithArgs,
  runningInLine,
  stepLine,
  successfullyBuilt,
  successfullyTagged,
  triggersLine,
  usingCacheLine,
} from '../../../src/build/builder/output.js';
import { emptyHeader } from '../../../src/storage/tar/header.js';
import { tarBytes, type TarMember } from '../../../src/storage/tar/writer.js';

test('output lines as dockerd 20.10 streams them', () => {
  assert.equal(stepLine(3, 15, 'ARG VER=1'), 'Step 3/15 : ARG VER=1');
  assert.equal(imageLine('sha256:8aba48b969cbd4798659cad32d0361f6edd31a4f89751b12526fdc949919f850'), ' ---> 8aba48b969cb\n');
  assert.equal(usingCacheLine, ' ---> Using cache\n');
  assert.equal(runningInLine('0d32ca059851aaaa'), ' ---> Running in 0d32ca059851\n');
  assert.equal(removingLine('0d32ca059851aaaa'), 'Removing intermediate container 0d32ca059851\n');
  assert.equal(successfullyBuilt('sha256:43177956bb25a6acc7f'), 'Successfully built 43177956bb25\n');
  assert.equal(successfullyTagged('ref1:latest'), 'Successfully tagged ref1:latest\n');
  assert.equal(triggersLine(1), '# Executing 1 build trigger\n');
  assert.equal(triggersLine(2), '# Executing 2 build triggers\n');
  assert.equal(nonZeroMessage(['/bin/sh', '-c', 'false'], 1), "The command '/bin/sh -c false' returned a non-zero code: 1");
});

test('history texts as docker history shows them', () => {
  assert.equal(nopCmd(['/bin/sh', '-c'], 'ENV A=b').join(' '), '/bin/sh -c #(nop)  ENV A=b');
  assert.equal(nopCmd(['/bin/sh', '-c'], `CMD ${goQuoteList(['sh'])}`).join(' '), '/bin/sh -c #(nop)  CMD ["sh"]');
  assert.equal(goQuoteList(['sh', '-c', 'echo "x"']), '["sh" "-c" "echo \\"x\\""]');
  assert.equal(nopCmdOne(['/bin/sh', '-c'], 'WORKDIR /app').join(' '), '/bin/sh -c #(nop) WORKDIR /app');
  assert.deepEqual(runCmdWithArgs(['VER=1'], ['/bin/sh', '-c', 'echo two']), ['|1', 'VER=1', '/bin/sh', '-c', 'echo two']);
  assert.equal(runCmdWithArgs(['VER=1'], ['/bin/sh', '-c', 'echo two']).join(' '), '|1 VER=1 /bin/sh -c echo two');
  assert.deepEqual(runCmdWithArgs([], ['echo']), ['echo']);
});

test('build args: global ARGs, stage scoping, ENV wins, proxy args, unconsumed warning', () => {
  const args = new BuildArgs({ VER: '2', FOO: 'x', HTTP_PROXY: 'http://p', BASE: null });
  assert.equal(args.declareMeta('BASE', 'busybox'), 'busybox'); // null (no value) keeps the default
  assert.equal(args.declareMeta('VER', '1'), '2');
  assert.deepEqual([...args.metaEnv()], [['BASE', 'busybox'], ['VER', '2']]);
  const stage = args.stage();
  // A global ARG is not visible in a stage until redeclared.
  assert.equal(stage.value('VER'), undefined);
  stage.declare('VER', undefined);
  assert.equal(stage.value('VER'), '2');
  stage.declare('LOCAL', 'l');
  assert.equal(stage.value('HTTP_PROXY'), 'http://p');
  assert.equal(stage.expansionEnv(['LOCAL=fromenv']).get('LOCAL'), 'fromenv');
  // RUN gets ARGs not shadowed by ENV; history leaves proxy args out.
  assert.deepEqual(stage.runArgs(['PATH=/bin'], true), ['LOCAL=l', 'VER=2']);
  assert.deepEqual(stage.runArgs(['LOCAL=e'], false), ['HTTP_PROXY=http://p', 'VER=2']);
  assert.deepEqual(args.unconsumed(), ['FOO']);
  assert.equal(unconsumedWarning(['FOO']), '[Warning] One or more build-args [FOO] were not consumed\n');
  assert.equal(unconsumedWarning(['A', 'B']), '[Warning] One or more build-args [A B] were not consumed\n');
});

test('cache keys: equal for equal configs whatever the key order or empty fields, different otherwise', () => {
  const a = cacheKey('sha256:p', { Env: ['A=1'], Cmd: ['x'], Labels: {} });
  const b = cacheKey('sha256:p', { Cmd: ['x'], Env: ['A=1'], Volumes: null });
  assert.equal(a, b);
  assert.notEqual(a, cacheKey('sha256:q', { Env: ['A=1'], Cmd: ['x'] }));
  assert.notEqual(a, cacheKey('sha256:p', { Env: ['A=2'], Cmd: ['x'] }));
  assert.notEqual(a, cacheKey('sha256:p', { Env: ['A=1'], Cmd: ['x'] }, 'mounts'));
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
});

test('globs are Go filepath.Match patterns per component', () => {
  assert.ok(globToRegExp('src/*.txt').test('src/a.txt'));
  assert.ok(!globToRegExp('src/*.txt').test('src/sub/a.txt'));
  assert.ok(globToRegExp('f?le[0-9]').test('file7'));
  assert.ok(globToRegExp('a+b(c)').test('a+b(c)'));
  assert.equal(contextRel('./a/../b/c'), 'b/c');
  assert.equal(contextRel('../../etc/passwd'), 'etc/passwd');
});

async function contextOf(files: Array<{ name: string; data?: string; mode?: number; mtime?: number; dir?: boolean }>): Promise<BuildContext> {
  const members: TarMember[] = files.map((f) => {
    if (f.dir) return { header: { ...emptyHeader(f.name + '/', 'directory'), mode: f.mode ?? 0o755 } };
    const data = Buffer.from(f.data ?? '');
    return { header: { ...emptyHeader(f.name, 'file'), size: data.length, mode: f.mode ?? 0o644, mtime: f.mtime ?? 1 }, body: data };
  });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'builder-unit-'));
  try {
    return await BuildContext.receive(Readable.from(tarBytes(members)), tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('context: hashing ignores mtimes, not content or mode; .dockerignore applied again', async () => {
  const base = [
    { name: 'Dockerfile', data: 'FROM busybox\n' },
    { name: 'src', dir: true },
    { name: 'src/a.txt', data: 'a' },
    { name: 'src/b.txt', data: 'b' },
    { name: 'secret.txt', data: 's' },
    { name: '.dockerignore', data: 'secret.txt\nsrc/*\n!src/a.txt\n' },
  ];
  const hashOf = async (ctx: BuildContext, srcs: string[]): Promise<string> =>
    sourcesHash(await resolveSources(contextTree(ctx), srcs, { parents: false, cmd: 'COPY' }), [], []);
  const one = await contextOf(base);
  const touched = await contextOf(base.map((f) => ({ ...f, mtime: 999 })));
  const changed = await contextOf(base.map((f) => (f.name === 'src/a.txt' ? { ...f, data: 'A' } : f)));
  const chmodded = await contextOf(base.map((f) => (f.name === 'src/a.txt' ? { ...f, mode: 0o755 } : f)));
  const h = await hashOf(one, ['src']);
  assert.match(h, /^dir:[0-9a-f]{64}$/);
  assert.equal(await hashOf(touched, ['src']), h);
  assert.notEqual(await hashOf(changed, ['src']), h);
  assert.notEqual(await hashOf(chmodded, ['src']), h);
  assert.match(await hashOf(one, ['src/a.txt']), /^file:/);
  assert.match(await hashOf(one, ['src/a.txt', 'src/b.txt']), /^multi:/);

  await one.applyIgnoreFile('Dockerfile');
  assert.equal(one.get('secret.txt'), undefined);
  assert.ok(one.get('src/a.txt'));
  assert.equal(one.get('src/b.txt'), undefined);
  await assert.rejects(
    resolveSources(contextTree(one), ['secret.txt'], { parents: false, cmd: 'COPY' }),
    (err: Error) => err.message === 'COPY failed: file not found in build context or excluded by .dockerignore: stat secret.txt: file does not exist',
  );
  for (const c of [one, touched, changed, chmodded]) await c.dispose();
});
