// Contexts in docker's files: the same scenario run by docker 28.2.2 and by
// berth (each on its own config directory) must print the same thing, and
// each CLI must read the contexts the other wrote. The only expected
// difference is the default context's endpoint (docker's socket vs berth's).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asBerth, berthMain, dockerCli, nodeBin } from '../image/fake-daemon.js';

const haveDocker = existsSync(dockerCli);

function run(which: 'docker' | 'berth', configDir: string, args: readonly string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, DOCKER_CONFIG: configDir };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  const [cmd, argv] = which === 'docker' ? [dockerCli, args] : [nodeBin, [berthMain, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(Buffer.from(input, 'latin1'));
  });
}

describe('context commands on docker’s store', { skip: !haveDocker && 'no docker CLI' }, () => {
  let work: string;
  let dockerDir: string;
  let berthDir: string;
  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-ctx-'));
    dockerDir = path.join(work, 'docker');
    berthDir = path.join(work, 'berth');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const normalise = (text: string, dir: string): string =>
    text
      .replaceAll(dir, 'CFG')
      .replaceAll(work, 'WORK')
      .replaceAll('unix:///var/run/docker.sock', 'DEFAULT')
      .replaceAll('unix:///run/berth/berth.sock', 'DEFAULT')
      // the endpoint column is as wide as the longest endpoint; the default ones differ by a byte
      .replace(/ +\n/g, '\n')
      .replace(/ {2,}/g, '  ');

  const steps: string[][] = [
    ['context', 'use', 'nope'],
    ['context', 'create', 'default'],
    ['context', 'create', 'a b'],
    ['context', 'create', 'c1', '--description', 'd1', '--docker', 'host=unix:///tmp/c1.sock'],
    ['context', 'create', 'c1'],
    ['context', 'create', 'c2', '--docker', 'host=tcp://1.2.3.4:2375,skip-tls-verify=true'],
    ['context', 'create', 'c3', '--docker', 'foo=bar'],
    ['context', 'create', 'c3', '--docker', 'host=tcp://x:1,skip-tls-verify=maybe'],
    ['context', 'create', 'c3', '--from', 'c1', '--description', 'copied'],
    ['context', 'create', 'c4'],
    ['context', 'create', 'c5', '--docker', 'from=c1'],
    ['context', 'create', 'c6', '--docker', 'host=bogus'],
    ['context', 'create', 'c7', '--docker', 'host'],
    ['context', 'create', 'c8', '--docker', 'host=tcp://x:2376,ca=WORK/bad.pem'],
    ['context', 'ls'],
    ['context', 'ls', '-q'],
    ['context', 'ls', '--format', 'json'],
    ['context', 'use', 'c1'],
    ['context', 'ls', '--format', '{{.Name}} {{.Current}} {{.DockerEndpoint}}'],
    ['context', 'show'],
    ['context', 'rm', 'c1'],
    ['context', 'inspect'],
    ['context', 'inspect', 'c2', 'c3', 'nope'],
    ['context', 'inspect', '-f', '{{.Name}} {{json .Endpoints}} {{.Storage.TLSPath}}', 'c2', 'default'],
    ['context', 'rm', '-f', 'c1', 'nope'],
    ['context', 'rm', 'nope', 'default'],
    ['context', 'update', 'c2', '--description', 'new', '--docker', 'host=unix:///new'],
    ['context', 'update', 'nope', '--description', 'x'],
    ['context', 'export', 'c2', 'WORK/out.DIR'],
    ['context', 'export', 'c2', 'WORK/out.DIR'],
    ['context', 'import', 'c9', 'WORK/out.DIR'],
    ['context', 'inspect', 'c9'],
    ['context', 'show'],
  ];

  it('the same scenario prints the same output', async () => {
    writeFileSync(path.join(work, 'bad.pem'), 'not a certificate\n');
    for (const step of steps) {
      const forCli = (which: string): string[] => step.map((a) => a.replace('WORK', work).replace('DIR', which));
      const docker = await run('docker', dockerDir, forCli('docker'));
      const berth = await run('berth', berthDir, forCli('berth'));
      const label = step.join(' ');
      assert.equal(normalise(berth.stdout, berthDir).replaceAll('.berth', '.X'), normalise(docker.stdout, dockerDir).replaceAll('.docker', '.X'), `stdout of ${label}`);
      assert.equal(
        normalise(berth.stderr, berthDir).replaceAll('.berth', '.X'),
        normalise(asBerth(docker.stderr), dockerDir).replaceAll('.docker', '.X'),
        `stderr of ${label}`,
      );
      assert.equal(berth.code, docker.code, `exit code of ${label}`);
    }
    const cfg = (dir: string): unknown => JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).currentContext;
    assert.equal(cfg(berthDir), cfg(dockerDir));
  });

  it('each CLI reads the contexts the other wrote', async () => {
    for (const [reader, dir] of [['docker', berthDir], ['berth', dockerDir]] as const) {
      const ls = await run(reader, dir, ['context', 'ls', '--format', '{{.Name}}|{{.Description}}|{{.DockerEndpoint}}']);
      assert.equal(ls.code, 0, ls.stderr);
      const lines = ls.stdout.trim().split('\n');
      assert.ok(lines.includes('c2|new|unix:///new'), ls.stdout);
      assert.ok(lines.includes('c3|copied|unix:///tmp/c1.sock'), ls.stdout);
      assert.ok(lines.includes('c9|new|unix:///new'), ls.stdout);
      const use = await run(reader, dir, ['context', 'use', 'c3']);
      assert.equal(use.code, 0, use.stderr);
    }
    // an archive exported by one is imported by the other
    const exported = await run('docker', dockerDir, ['context', 'export', 'c2', '-']);
    assert.equal(exported.code, 0);
    const imported = await run('berth', berthDir, ['context', 'import', 'from-docker', '-'], exported.stdout);
    assert.equal(imported.code, 0, imported.stderr);
    const seen = await run('docker', berthDir, ['context', 'inspect', '-f', '{{json .Endpoints}}', 'from-docker']);
    assert.equal(seen.stdout, '{"docker":{"Host":"unix:///new","SkipTLSVerify":false}}\n');
  });
});
