// `berth create` against the docker CLI 28.2.2: for every recorded case
// (create-cases.ts, recorded by capture-create.ts into
// testdata/create-bodies.json) berth must send the same POST
// /containers/create body and query, print the same output and exit with
// the same status. The binary's name is the only difference allowed in the
// messages; Env and Binds are compared as sets because the docker CLI sends
// them in Go's random map order.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildRegistry } from '../../../../src/cli/commands/index.js';
import { CREATE_CASES } from './create-cases.js';
import { fakeCreateEngine, GOLDEN_PATH, type CreateRecord } from './capture-create.js';
import type { FakeEngine } from './fake-engine.js';

const golden = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as CreateRecord[];

function normaliseBody(body: unknown): unknown {
  if (body === undefined) return undefined;
  const copy = JSON.parse(JSON.stringify(body)) as { Env?: string[] | null; HostConfig: { Binds?: string[] | null } };
  copy.Env?.sort();
  copy.HostConfig.Binds?.sort();
  return copy;
}

describe('berth create sends what docker create sends', () => {
  let engine: FakeEngine;
  let root: string;
  const originalCwd = process.cwd();

  before(async () => {
    engine = await fakeCreateEngine();
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-create-opts-'));
    mkdirSync(path.join(root, 'config'));
  });
  after(async () => {
    process.chdir(originalCwd);
    await engine.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [index, c] of CREATE_CASES.entries()) {
    const expected = golden[index];
    it(c.name, async () => {
      assert.ok(expected && expected.name === c.name, `golden file out of date for ${c.name}: run capture-create.js`);
      const cwd = path.join(root, `case${index}`);
      mkdirSync(cwd);
      for (const [file, content] of Object.entries(c.files ?? {})) {
        writeFileSync(path.join(cwd, file), typeof content === 'string' ? content : Buffer.from(content.bytes));
      }
      process.chdir(cwd);
      let stdout = '';
      let stderr = '';
      const before = engine.requests.length;
      let code: number;
      try {
        code = await buildRegistry().dispatch(['-H', engine.host, 'create', ...c.args], {
          stdout: { write: (s: string) => (stdout += s) },
          stderr: { write: (s: string) => (stderr += s) },
          env: { HOME: '/root', DOCKER_CONFIG: path.join(root, 'config'), FROM_ENV: 'from-env', PATH: process.env.PATH },
        });
      } finally {
        process.chdir(originalCwd);
      }
      const normalise = (text: string): string => text.replaceAll(cwd, '$CWD').replaceAll(engine.host.slice('unix://'.length), '$SOCKET');
      const create = engine.requests.slice(before).find((r) => r.method === 'POST' && r.path === '/containers/create');
      assert.equal(code, expected.exitCode, `exit status; stderr: ${stderr}`);
      assert.equal(normalise(stdout), expected.stdout);
      assert.equal(normalise(stderr), expected.stderr.replaceAll('docker', 'berth'));
      if (expected.body === undefined) {
        assert.equal(create, undefined, 'docker sent no create request');
        return;
      }
      assert.ok(create, 'a create request');
      assert.deepEqual(Object.fromEntries(create.query.entries()), expected.query);
      const body = JSON.parse(normalise(create.body.toString('utf8'))) as unknown;
      assert.deepEqual(normaliseBody(body), normaliseBody(expected.body));
      // Go's field order too: the daemon doesn't care, but a user dumping the request does.
      assert.deepEqual(Object.keys(body as object), Object.keys(expected.body as object));
    });
  }
});
