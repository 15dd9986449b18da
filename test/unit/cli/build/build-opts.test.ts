// `berth build` and `berth builder prune` against the docker CLI 28.2.2 on
// its legacy-builder path: for every case of build-cases.ts, recorded by
// capture-build.ts into testdata/build-records.json, berth must send the
// same requests (query in order, Content-Type, X-Registry-Config, the
// context tar entry by entry with modes, owners and times, byte for byte
// where no entry is generated at run time), print the same output for
// dockerd's recorded answers and exit with the same status. Allowed
// differences: the binary's name in messages; the compressed size with
// --compress (Go's deflate is not zlib's); the order of the two entries
// the docker CLI appends for a Dockerfile from stdin or outside the context
// (Go map order, random in docker itself); docker's legacy-builder
// deprecation notice (berth has no BuildKit to point to).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { BUILD_CASES, type Answer } from './build-cases.js';
import { captureCase, fakeBuildEngine, RECORDS_PATH, type BuildRecord, type RequestRecord } from './capture-build.js';
import type { FakeEngine } from '../container/fake-engine.js';

const records = JSON.parse(fs.readFileSync(RECORDS_PATH, 'utf8')) as BuildRecord[];
const here = path.dirname(fileURLToPath(import.meta.url));
const BERTH = [process.execPath, '--', path.resolve(here, '../../../../src/cli/main.js')];

/** Entries the CLI appends itself come in Go's random map order in docker: compare them sorted. */
function normaliseRequests(requests: readonly RequestRecord[]): RequestRecord[] {
  return requests.map((r) => {
    if (!r.tar) return r;
    const fixed = r.tar.entries.filter((e) => !(e.mtime === 'now' && e.name.startsWith('.docker')));
    const generated = r.tar.entries.filter((e) => e.mtime === 'now' && e.name.startsWith('.docker')).sort((a, b) => (a.name < b.name ? -1 : 1));
    return { ...r, tar: { ...r.tar, entries: [...fixed, ...generated] } };
  });
}

describe('berth build and builder prune send and print what the docker CLI does', () => {
  let engine: FakeEngine;
  let root: string;
  let answer: Answer = 'success';

  before(async () => {
    engine = await fakeBuildEngine(() => answer);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-opts-'));
  });
  after(async () => {
    await engine.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const [index, c] of BUILD_CASES.entries()) {
    const expected = records[index];
    it(c.name, async () => {
      assert.ok(expected && expected.name === c.name, `records out of date for ${c.name}: run capture-build.js`);
      const actual = await captureCase(BERTH, engine, root, index, c, (a) => (answer = a));
      assert.equal(actual.exitCode, expected.exitCode, `exit status; stderr: ${actual.stderr}`);
      // gzip (--compress): Go's deflate and zlib make different bytes of the same archive, so the size sent differs
      const compressed = expected.requests.some((r) => r.tar?.gzip === true);
      const sentSize = (text: string): string => (compressed ? text.replace(/(Sending build context to Docker daemon) +\S+/, '$1 <gzip size>') : text);
      assert.equal(sentSize(actual.stdout), sentSize(expected.stdout));
      assert.equal(actual.stderr, expected.stderr.replace(/\bdocker\b/g, 'berth'));
      assert.deepEqual(normaliseRequests(actual.requests), normaliseRequests(expected.requests));
      if (expected.readBack !== undefined) assert.equal(actual.readBack, expected.readBack);
    });
  }
});
