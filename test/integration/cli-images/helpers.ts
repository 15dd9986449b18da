// Shared by berth's CLI integration tests: a fresh berthd, and running the
// same command line through the docker CLI and berth's to compare them.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type RunOptions, type RunResult, type TestDaemon } from '../../helpers/daemon.js';

export async function freshDaemon(): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  return startDaemon({ dir });
}

/** docker's messages with the binary's name as berth prints it. */
export function asBerth(text: string): string {
  return text
    .replace(/\bdocker (?=\[OPTIONS\]|image|images|network|volume|system|context|version|info|events|pull|push|login|logout|search|history|import|load|save|tag|rmi|COMMAND)/g, 'berth ')
    .replace(/'docker /g, "'berth ")
    .replace(/^docker: /gm, 'berth: ');
}

/** IDs and times out of the way: full and short hex IDs, "N units ago", RFC 3339 and Go times. */
export function normalise(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:ID')
    .replace(/\b[0-9a-f]{64}\b/g, 'LONGID')
    .replace(/\b[0-9a-f]{12}\b/g, 'SHORTID')
    .replace(/(About an?|Less than a|\d+) \w+ ago/g, 'AGO')
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?( ?[+-]\d{2}:?\d{2}( \w+)?|Z)?/g, 'TIME');
}

/** Lines sorted: docker lists an image's repositories in Go's random map order. */
export function sortedLines(text: string): string {
  return text.split('\n').sort().join('\n');
}

export interface Pair {
  docker: RunResult;
  berth: RunResult;
}

export async function both(d: TestDaemon, args: string[], opts: RunOptions = {}): Promise<Pair> {
  const docker = await d.docker(args, opts);
  const berth = await d.berth(args, opts);
  return { docker, berth };
}

/** Asserts both CLIs printed the same (after `norm`) and exited alike. */
export function assertSame(pair: Pair, label: string, norm: (s: string) => string = (s) => s): void {
  assert.equal(norm(pair.berth.stderr), norm(asBerth(pair.docker.stderr)), `stderr of ${label}`);
  assert.equal(norm(pair.berth.stdout), norm(asBerth(pair.docker.stdout)), `stdout of ${label}`);
  assert.equal(pair.berth.code, pair.docker.code, `exit code of ${label}`);
}

export async function same(d: TestDaemon, args: string[], norm: (s: string) => string = (s) => s, opts: RunOptions = {}): Promise<Pair> {
  const pair = await both(d, args, opts);
  assertSame(pair, args.join(' '), norm);
  return pair;
}
