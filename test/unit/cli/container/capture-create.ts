// Records what a CLI sends for each CREATE_CASES entry: run as
//   node dist/test/unit/cli/container/capture-create.js [cli] [out.json]
// with cli the docker binary (default /usr/local/bin/docker) to refresh
// testdata/create-bodies.json, or the berth entry to compare by hand.
// The golden file is what create-opts.test.ts holds berth to.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CREATE_CASES } from './create-cases.js';
import { startFakeEngine, type FakeEngine } from './fake-engine.js';

export interface CreateRecord {
  name: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Query of the create request (name, platform), when one was sent. */
  query?: Record<string, string>;
  body?: unknown;
}

export const CONTAINER_ID = 'c0ffee'.padEnd(64, '0');

export function fakeCreateEngine(): Promise<FakeEngine> {
  return startFakeEngine((req) => {
    if (req.method === 'POST' && req.path === '/containers/create') {
      return { status: 201, json: { Id: CONTAINER_ID, Warnings: [] } };
    }
    return undefined;
  });
}

/** Runs every case through `command` (argv prefix, e.g. ['/usr/local/bin/docker']). */
export async function captureCreateCases(command: readonly string[]): Promise<CreateRecord[]> {
  const engine = await fakeCreateEngine();
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-capture-'));
  const records: CreateRecord[] = [];
  try {
    const configDir = path.join(root, 'config');
    mkdirSync(configDir);
    for (const [index, c] of CREATE_CASES.entries()) {
      const cwd = path.join(root, `case${index}`);
      mkdirSync(cwd);
      for (const [file, content] of Object.entries(c.files ?? {})) {
        writeFileSync(path.join(cwd, file), typeof content === 'string' ? content : Buffer.from(content.bytes));
      }
      const before = engine.requests.length;
      const result = await runCli(command, ['-H', engine.host, 'create', ...c.args], cwd, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/root',
        DOCKER_CONFIG: configDir,
        FROM_ENV: 'from-env',
      });
      const normalise = (text: string): string => text.replaceAll(cwd, '$CWD').replaceAll(engine.host.slice('unix://'.length), '$SOCKET');
      const create = engine.requests.slice(before).find((r) => r.method === 'POST' && r.path === '/containers/create');
      const record: CreateRecord = {
        name: c.name,
        args: [...c.args],
        exitCode: result.status ?? -1,
        stdout: normalise(result.stdout),
        stderr: normalise(result.stderr),
      };
      if (create) {
        record.query = Object.fromEntries(create.query.entries());
        record.body = JSON.parse(normalise(create.body.toString('utf8'))) as unknown;
      }
      records.push(record);
    }
  } finally {
    await engine.close();
    rmSync(root, { recursive: true, force: true });
  }
  return records;
}

/** Runs a CLI without blocking the event loop (the fake engine lives in this process). */
export function runCli(
  command: readonly string[],
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const GOLDEN_PATH = path.resolve(here, '../../../../../test/unit/cli/container/testdata/create-bodies.json');

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const cli = process.argv[2] ?? '/usr/local/bin/docker';
  const out = process.argv[3] ?? GOLDEN_PATH;
  const command = cli.endsWith('.js') ? [process.execPath, '--', path.resolve(cli)] : [cli];
  const records = await captureCreateCases(command);
  writeFileSync(out, JSON.stringify(records, null, 1) + '\n');
  console.log(`${records.length} cases written to ${out}`);
}
