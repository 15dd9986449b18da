// The table of `build` / `builder prune` invocations that capture-build.ts
// runs through the docker CLI 28.2.2 (DOCKER_BUILDKIT=0, the legacy builder)
// against a fake engine, recording what it sends and prints
// (testdata/build-records.json); build-opts.test.ts holds berth to it.
// The daemon's answers are real dockerd 20.10 legacy-builder streams
// (testdata/dockerd-*.jsonl, recorded with curl against a scratch dockerd).

/** A file tree: path → content, or a special entry. Paths are relative to the case's directory. */
export type TreeEntry =
  | string
  | { readonly content: string; readonly mode: number }
  | { readonly symlink: string }
  | { readonly hardlink: string }
  | { readonly fifo: true }
  | { readonly dir: true; readonly mode?: number };

export type Answer = 'success' | 'cached' | 'quiet' | 'fail-run' | 'quiet-fail-run' | 'copy-missing' | 'parse-error' | 'prune';

export interface BuildCase {
  readonly name: string;
  /** Arguments after the binary (and -H): ['build', ...]. */
  readonly args: readonly string[];
  /** Files under the case's directory (the working directory). */
  readonly files?: Readonly<Record<string, TreeEntry>>;
  /** Where the CLI runs, relative to the case's directory (default: the directory itself). */
  readonly cwd?: string;
  /** Bytes on stdin: text, or a tar of the given files. */
  readonly stdin?: string | { readonly tarOf: Readonly<Record<string, string>> };
  readonly answer?: Answer;
  readonly env?: Readonly<Record<string, string>>;
  /** config.json for the case's DOCKER_CONFIG. */
  readonly config?: unknown;
  /** A file whose content is recorded after the run (--iidfile). */
  readonly readBack?: string;
  /** Serve these over http on 127.0.0.1 (URL contexts); `$HTTP` in args is the server's address. */
  readonly http?: Readonly<Record<string, { status: number; body: string | { tarOf: Readonly<Record<string, string>> } }>>;
}

const DOCKERFILE = 'FROM busybox\nENV A=1\nRUN echo hello\nCOPY a.txt /a.txt\nCMD ["sh"]\n';

/** A small project: a Dockerfile, files, a subdirectory with an executable, a symlink. */
const PROJECT: Readonly<Record<string, TreeEntry>> = {
  Dockerfile: DOCKERFILE,
  'a.txt': 'hi\n',
  'sub/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
  'sub/data': 'data\n',
  link: { symlink: 'a.txt' },
};

const IGNORING: Readonly<Record<string, TreeEntry>> = {
  ...PROJECT,
  '.dockerignore': '# comment\n*.log\n!keep.log\nignored/\n!ignored/keep\n**/*.tmp\n/secret\n',
  'x.log': 'x\n',
  'keep.log': 'keep\n',
  'ignored/a': 'a\n',
  'ignored/keep': 'keep\n',
  'ignored/deeper/b': 'b\n',
  'sub/t.tmp': 't\n',
  'deep/er/z.tmp': 'z\n',
  secret: 's\n',
};

const SPECIAL: Readonly<Record<string, TreeEntry>> = {
  Dockerfile: DOCKERFILE,
  'a.txt': 'hi\n',
  hard: { hardlink: 'a.txt' },
  fifo: { fifo: true },
  empty: '',
  'emptydir': { dir: true },
  'private': { dir: true, mode: 0o700 },
  'setuid': { content: 'x', mode: 0o4755 },
  'sticky': { dir: true, mode: 0o1777 },
  'ünïcödé.txt': 'u\n',
  [`${'d'.repeat(60)}/${'e'.repeat(60)}/file`]: 'long\n',
  [`${'n'.repeat(120)}`]: 'long name, no slash\n',
  longlink: { symlink: 'L'.repeat(120) },
  dangling: { symlink: 'nowhere' },
};

export const BUILD_CASES: readonly BuildCase[] = [
  // --- contexts
  { name: 'directory context', args: ['build', '.'], files: PROJECT },
  { name: 'image build alias', args: ['image', 'build', '.'], files: PROJECT },
  { name: 'builder build alias', args: ['builder', 'build', '.'], files: PROJECT },
  { name: 'context given as a subdirectory', args: ['build', 'proj'], files: { 'proj/Dockerfile': DOCKERFILE, 'proj/a.txt': 'hi\n', 'other.txt': 'no\n' } },
  { name: 'context given as an absolute-looking relative path with ..', args: ['build', 'proj/../proj'], files: { 'proj/Dockerfile': DOCKERFILE, 'proj/a.txt': 'hi\n' } },
  { name: '.dockerignore with exceptions', args: ['build', '.'], files: IGNORING },
  {
    name: '.dockerignore excluding everything keeps Dockerfile and .dockerignore',
    args: ['build', '.'],
    files: { ...PROJECT, '.dockerignore': '*\n!a.txt\n' },
  },
  { name: '.dockerignore excluding a named Dockerfile keeps it', args: ['build', '-f', 'sub/Build.file', '.'], files: { ...PROJECT, 'sub/Build.file': DOCKERFILE, '.dockerignore': 'sub\n' } },
  { name: 'special files, modes, long and non-ASCII names', args: ['build', '.'], files: SPECIAL },
  { name: 'lowercase dockerfile', args: ['build', '.'], files: { dockerfile: DOCKERFILE, 'a.txt': 'hi\n' } },
  { name: '-f relative to the working directory', args: ['build', '-f', 'proj/alt/Dockerfile.alt', 'proj'], files: { 'proj/alt/Dockerfile.alt': DOCKERFILE, 'proj/a.txt': 'hi\n' } },
  { name: '-f outside the context', args: ['build', '-f', 'outside/Dockerfile', 'proj'], files: { 'outside/Dockerfile': DOCKERFILE, 'proj/a.txt': 'hi\n' } },
  {
    name: '-f outside the context with a .dockerignore',
    args: ['build', '-f', '../outside/Dockerfile', '.'],
    cwd: 'proj',
    files: { 'outside/Dockerfile': DOCKERFILE, 'proj/a.txt': 'hi\n', 'proj/.dockerignore': 'b.txt\n', 'proj/b.txt': 'b\n' },
  },
  { name: '-f - with a directory context', args: ['build', '-f', '-', '.'], files: { ...PROJECT, '.dockerignore': 'x.log\n', 'x.log': 'x\n' }, stdin: DOCKERFILE },
  { name: '-f - with a directory context without .dockerignore', args: ['build', '-f', '-', '.'], files: PROJECT, stdin: DOCKERFILE },
  { name: 'Dockerfile on stdin', args: ['build', '-'], stdin: DOCKERFILE },
  { name: 'tar on stdin', args: ['build', '-t', 'app', '-'], stdin: { tarOf: { Dockerfile: DOCKERFILE, 'a.txt': 'hi\n' } } },
  { name: 'tar on stdin with -f', args: ['build', '-f', 'sub/Dockerfile', '-'], stdin: { tarOf: { 'sub/Dockerfile': DOCKERFILE } } },
  { name: '--compress', args: ['build', '--compress', '.'], files: PROJECT },

  // --- query parameters
  { name: 'tags', args: ['build', '-t', 'app:1', '-t', 'app:latest', '--tag=registry.local:5000/team/app', '.'], files: PROJECT },
  {
    name: 'builder options',
    args: [
      'build', '--no-cache', '--pull', '--rm=false', '--force-rm', '--target', 'final', '--network', 'host', '--add-host', 'h:1.2.3.4',
      '--add-host', 'v6=[::1]', '--shm-size', '64m', '--platform', 'Linux/AMD64', '--cache-from', 'a,b', '--cache-from', 'c', '--isolation', 'default', '.',
    ],
    files: PROJECT,
  },
  {
    name: 'resource options',
    args: [
      'build', '-m', '1g', '--memory-swap', '-1', '-c', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpuset-cpus', '0-1',
      '--cpuset-mems', '0', '--cgroup-parent', 'cg', '--ulimit', 'nofile=10:20', '--ulimit', 'core=1', '--ulimit', 'nofile=30', '--security-opt', 'seccomp=unconfined,label=disable', '.',
    ],
    files: PROJECT,
  },
  {
    name: 'build args and labels',
    args: ['build', '--build-arg', 'A=1', '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET', '--build-arg', 'H=<x>&y', '--label', 'a=b', '--label', 'c', '--label', 'e=f=g', '.'],
    files: PROJECT,
    env: { FROM_ENV: 'from-env' },
  },
  { name: 'network default is not sent', args: ['build', '--network', 'default', '--isolation', 'process', '.'], files: PROJECT },
  { name: 'DOCKER_DEFAULT_PLATFORM', args: ['build', '.'], files: PROJECT, env: { DOCKER_DEFAULT_PLATFORM: 'linux/ARM64' } },
  {
    name: 'stored credentials go in X-Registry-Config',
    args: ['build', '.'],
    files: PROJECT,
    config: { auths: { 'registry.local:5000': { auth: Buffer.from('user:pass').toString('base64') }, 'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') } } },
  },
  {
    name: 'proxies from config.json become build args',
    args: ['build', '--build-arg', 'HTTP_PROXY=mine', '.'],
    files: PROJECT,
    config: { proxies: { default: { httpProxy: 'http://proxy:3128', noProxy: 'localhost' } } },
  },

  // --- output for dockerd's answers
  { name: 'cached steps', args: ['build', '-t', 'app:1', '-t', 'app:latest', '.'], files: PROJECT, answer: 'cached' },
  { name: 'failing RUN', args: ['build', '.'], files: PROJECT, answer: 'fail-run' },
  { name: 'COPY of a missing file (no error code)', args: ['build', '.'], files: PROJECT, answer: 'copy-missing' },
  { name: 'parse error (400)', args: ['build', '.'], files: PROJECT, answer: 'parse-error' },
  { name: '-q', args: ['build', '-q', '.'], files: PROJECT, answer: 'quiet' },
  { name: '-q with a failing RUN', args: ['build', '-q', '.'], files: PROJECT, answer: 'quiet-fail-run' },
  { name: '-q with a parse error', args: ['build', '-q', '.'], files: PROJECT, answer: 'parse-error' },
  { name: '--iidfile', args: ['build', '--iidfile', 'id.txt', '.'], files: PROJECT, readBack: 'id.txt' },
  { name: '-q --iidfile', args: ['build', '-q', '--iidfile', 'id.txt', '.'], files: PROJECT, answer: 'quiet', readBack: 'id.txt' },
  { name: '--iidfile replaced, not kept on failure', args: ['build', '--iidfile', 'id.txt', '.'], files: { ...PROJECT, 'id.txt': 'stale' }, answer: 'fail-run', readBack: 'id.txt' },

  // --- URL contexts (fetched by the CLI)
  { name: 'URL of a Dockerfile', args: ['build', 'http://$HTTP/Dockerfile'], http: { '/Dockerfile': { status: 200, body: DOCKERFILE } } },
  { name: 'URL of a tar', args: ['build', '-t', 'u', 'http://$HTTP/ctx.tar'], http: { '/ctx.tar': { status: 200, body: { tarOf: { Dockerfile: DOCKERFILE, 'a.txt': 'hi\n' } } } } },
  { name: 'URL answering 404', args: ['build', 'http://$HTTP/missing'], http: { '/missing': { status: 404, body: 'not here\n' } } },
  { name: 'URL refused', args: ['build', 'http://127.0.0.1:1/x'] },
  { name: 'git URL refused', args: ['build', 'git://127.0.0.1:1/x.git'] },

  // --- errors before any request
  { name: 'no argument', args: ['build'] },
  { name: 'two arguments', args: ['build', 'a', 'b'], files: { a: { dir: true }, b: { dir: true } } },
  { name: 'missing path', args: ['build', 'nonexistent'] },
  { name: 'file as context', args: ['build', 'Dockerfile'], files: PROJECT },
  { name: 'missing Dockerfile', args: ['build', '.'], files: { 'a.txt': 'hi\n' } },
  { name: 'missing -f file', args: ['build', '-f', 'nope/Dockerfile', '.'], files: PROJECT },
  { name: 'stdin for both', args: ['build', '-f', '-', '-'], stdin: DOCKERFILE },
  { name: 'stdin Dockerfile with -f', args: ['build', '-f', 'Dockerfile', '-'], stdin: DOCKERFILE },
  { name: 'bad .dockerignore pattern', args: ['build', '.'], files: { ...PROJECT, '.dockerignore': 'a[\n' } },
  { name: 'uppercase tag', args: ['build', '-t', 'Bad/Name', '.'], files: PROJECT },
  { name: 'malformed tag', args: ['build', '-t', 'a:b:c', '.'], files: PROJECT },
  { name: 'empty build-arg name', args: ['build', '--build-arg', '=x', '.'], files: PROJECT },
  { name: 'empty label name', args: ['build', '--label', '=x', '.'], files: PROJECT },
  { name: 'bad add-host', args: ['build', '--add-host', 'foo', '.'], files: PROJECT },
  { name: 'bad ulimit', args: ['build', '--ulimit', 'foo', '.'], files: PROJECT },
  { name: 'bad shm-size', args: ['build', '--shm-size', 'abc', '.'], files: PROJECT },
  { name: 'unknown flag', args: ['build', '--nope', '.'], files: PROJECT },
  { name: '--squash without experimental', args: ['build', '--squash', '.'], files: PROJECT },

  // --- builder prune
  { name: 'builder prune -f', args: ['builder', 'prune', '-f'], answer: 'prune' },
  { name: 'builder prune -a with filters and keep-storage', args: ['builder', 'prune', '-af', '--filter', 'until=24h', '--filter', 'label=a=b', '--keep-storage', '1g'], answer: 'prune' },
  { name: 'builder prune confirmed', args: ['builder', 'prune'], stdin: 'y\n', answer: 'prune' },
  { name: 'builder prune -a confirmed', args: ['builder', 'prune', '-a'], stdin: 'y\n', answer: 'prune' },
  { name: 'builder prune declined', args: ['builder', 'prune'], stdin: 'n\n', answer: 'prune' },
  { name: 'builder prune with an argument', args: ['builder', 'prune', 'x'] },
  { name: 'builder prune bad filter', args: ['builder', 'prune', '--filter', 'nope'] },
];
