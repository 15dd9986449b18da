// CLI start-up and round-trip time: the berth CLI next to the docker CLI,
// against the same berthd and, when dockerd is installed, against a dockerd
// too. Each figure is the wall time of one whole process (`bin/berth ...`
// through its sh launcher, `/usr/local/bin/docker ...`), spawned and waited
// for synchronously; the commands run interleaved, round after round, so
// background load hits every column alike. Medians, with the minimum after.
//
//   --version       no daemon involved: process start and argument parsing
//   ps              GET /containers/json with no containers, then with N
//                   running (`run -d --network none busybox sleep 600`)
//   images          GET /images/json (busybox)
//   version         GET /version and the client/server template
//
// dockerd (apt-get install -y docker.io) runs on its own socket, data root
// and exec root with --bridge none --iptables=false and is stopped
// afterwards; busybox goes to it with docker save | docker load.
//
// Run: node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/cli.js [--rounds 20] [--count 50]
// (BERTH_CLI / BERTH_CLI_BASELINE: see below)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerCli, repoRoot } from '../test/helpers/daemon.js';
import { machineLine, median, numberOptions, startBenchEngines, stopAll, type BenchEngine as Engine } from './engines.js';

interface Cli {
  name: string;
  argv0: string;
}

// BERTH_CLI=<checkout>/bin/berth measures another build; BERTH_CLI_BASELINE=<checkout>/bin/berth
// adds that build as extra columns, interleaved with the rest (before/after figures).
const berthCli: Cli = { name: 'berth', argv0: process.env.BERTH_CLI ?? path.join(repoRoot, 'bin/berth') };
const baselineCli: Cli | undefined = process.env.BERTH_CLI_BASELINE ? { name: 'berth (baseline)', argv0: process.env.BERTH_CLI_BASELINE } : undefined;
const docker: Cli = { name: 'docker', argv0: dockerCli };

// Both CLIs read the same empty config directory: no user contexts or settings.
const configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cli-config-'));
const cliEnv = { ...process.env, DOCKER_CONFIG: configDir };

/** Runs one CLI process to completion; its wall time in ms. */
function timed(cli: Cli, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cli.argv0, args, { env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cli.name} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return ms;
}

function run(cli: Cli, args: string[]): string {
  const r = spawnSync(cli.argv0, args, { env: cliEnv, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cli.name} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout.toString();
}

interface Column {
  label: string;
  cli: Cli;
  /** Global args (-H) before the command; none for --version. */
  engine: Engine | undefined;
}

interface Scenario {
  label: string;
  args: string[];
  /** Whether the command talks to a daemon (--version does not). */
  daemon: boolean;
}

// Between runs the event loop drains berthd's log pipe (startDaemon reads it).
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Median and minimum per column, rounds interleaved across columns. */
async function measure(columns: readonly Column[], scenario: Scenario, rounds: number): Promise<Array<{ median: number; min: number }>> {
  const argsFor = (c: Column): string[] => (scenario.daemon && c.engine ? ['-H', c.engine.host, ...scenario.args] : scenario.args);
  // Warm up: the first runs fill the page cache and berth's compile cache.
  for (const c of columns) {
    for (let i = 0; i < 3; i++) {
      timed(c.cli, argsFor(c));
      await yieldToLoop();
    }
  }
  const samples = columns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of columns.entries()) {
      samples[i]!.push(timed(c.cli, argsFor(c)));
      await yieldToLoop();
    }
  }
  return samples.map((s) => ({ median: median(s), min: Math.min(...s) }));
}

async function main(): Promise<void> {
  const { rounds, count } = numberOptions(process.argv.slice(2), { rounds: 20, count: 50 });
  if (!existsSync(dockerCli)) throw new Error(`${dockerCli} is needed for the comparison`);
  const engines: Engine[] = [];
  const table: Array<[string, string[]]> = [];
  let columns: Column[] = [];
  try {
    const { berth: berthd, dockerd } = await startBenchEngines('cli', engines, { name: 'berthd' });
    const baseline = (engine: Engine): Column[] => (baselineCli ? [{ label: `baseline berth → ${engine.name}`, cli: baselineCli, engine }] : []);
    columns = [
      { label: 'berth → berthd', cli: berthCli, engine: berthd },
      { label: 'docker → berthd', cli: docker, engine: berthd },
      ...baseline(berthd),
      ...(dockerd
        ? [
            { label: 'berth → dockerd', cli: berthCli, engine: dockerd },
            { label: 'docker → dockerd', cli: docker, engine: dockerd },
            ...baseline(dockerd),
          ]
        : []),
    ];
    const row = (label: string, figures: Array<{ median: number; min: number }>): void => {
      table.push([label, figures.map((f) => `${f.median.toFixed(1)} (${f.min.toFixed(1)})`)]);
    };
    // --version never reaches a daemon: measured once per CLI, in the berthd columns.
    const perDaemon = columns.filter((c) => c.engine === berthd).length;
    const versionFigures = await measure(columns.slice(0, perDaemon), { label: '--version', args: ['--version'], daemon: false }, rounds);
    row('--version', [...versionFigures, ...columns.slice(perDaemon).map(() => ({ median: NaN, min: NaN }))]);
    row('ps (0 containers)', await measure(columns, { label: 'ps', args: ['ps'], daemon: true }, rounds));
    row('images', await measure(columns, { label: 'images', args: ['images'], daemon: true }, rounds));
    row('version', await measure(columns, { label: 'version', args: ['version'], daemon: true }, rounds));
    for (const e of engines) {
      for (let i = 0; i < count; i++) {
        run(docker, ['-H', e.host, 'run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
        await yieldToLoop();
      }
    }
    row(`ps (${count} running)`, await measure(columns, { label: 'ps', args: ['ps'], daemon: true }, rounds));
  } finally {
    await stopAll(engines);
    await fs.rm(configDir, { recursive: true, force: true });
  }
  const cell = (s: string): string => (s.startsWith('NaN') ? '—' : s);
  process.stdout.write(`\nWall time per command, ms: median (min) of ${rounds} rounds\n\n`);
  process.stdout.write(`| command | ${columns.map((c) => c.label).join(' | ')} |\n|---|${columns.map(() => '---:').join('|')}|\n`);
  for (const [label, cells] of table) process.stdout.write(`| ${label} | ${cells.map(cell).join(' | ')} |\n`);
  process.stdout.write(`\n${machineLine()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
