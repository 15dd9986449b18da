// docker build speed: berthd vs dockerd's legacy builder, side by side in one
// run, through the real docker CLI (DOCKER_BUILDKIT=0) and the same busybox.
//
// The Dockerfile of issue 6: FROM/ENV/WORKDIR/COPY of a 50 MB, 2000-file
// context/three RUNs/CMD. Figures (medians of --rounds, default 3):
//   cold           `docker build --no-cache` (the first one on a fresh daemon included)
//   fully cached   the same build again, nothing changed
//   one changed    one file's content changed: COPY and the RUNs rebuild
// Both builds use --network none (dockerd runs with --bridge none, so its
// default network is none anyway).
//
// dockerd (apt-get install -y docker.io) runs on its own socket, data root
// and exec root and is stopped afterwards.
//
// Run: node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/build.js [--rounds 3] [--berth-only]
// (--berth-only: no dockerd, for measuring berthd alone)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineLine, median, numberOptions, startBenchBerthd, startBenchEngines, stopAll, timedDocker, type BenchEngine } from './engines.js';

const env = { DOCKER_BUILDKIT: '0' };

const DOCKERFILE = `FROM busybox
ENV APP=bench
WORKDIR /app
COPY . /app
RUN ls /app/data | wc -l
RUN du -s /app
RUN echo done > /app/done.txt
CMD ["sh"]
`;

/** 2000 files of 25 KiB (50 MB) in 40 directories, plus the Dockerfile. */
async function makeContext(dir: string): Promise<void> {
  await fs.writeFile(path.join(dir, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 2000; i++) {
    const sub = path.join(dir, 'data', `d${String(i % 40).padStart(2, '0')}`);
    if (i < 40) await fs.mkdir(sub, { recursive: true });
    await fs.writeFile(path.join(sub, `f${String(i).padStart(4, '0')}.bin`), randomBytes(25 * 1024));
  }
}

interface Figures {
  cold: number;
  cached: number;
  changed: number;
}

async function measure(e: BenchEngine, ctx: string, rounds: number): Promise<Figures> {
  const build = (extra: string[] = []): Promise<{ ms: number; stdout: string }> =>
    timedDocker(e.host, ['build', '--network', 'none', '-t', 'bench:latest', ...extra, ctx], env);
  const cold: number[] = [];
  const cached: number[] = [];
  const changed: number[] = [];
  cold.push((await build()).ms);
  for (let i = 1; i < rounds; i++) cold.push((await build(['--no-cache'])).ms);
  for (let i = 0; i < rounds; i++) {
    const r = await build();
    if (!r.stdout.includes('Using cache')) throw new Error(`${e.name}: the cached build was not cached`);
    cached.push(r.ms);
  }
  for (let i = 0; i < rounds; i++) {
    await fs.writeFile(path.join(ctx, 'data', 'd07', 'f0007.bin'), randomBytes(25 * 1024));
    changed.push((await build()).ms);
  }
  return { cold: median(cold), cached: median(cached), changed: median(changed) };
}

async function main(): Promise<void> {
  const { rounds } = numberOptions(process.argv.slice(2), { rounds: 3 });
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'bench-build-ctx-'));
  const engines: BenchEngine[] = [];
  const results: Array<[string, Figures]> = [];
  try {
    await makeContext(ctx);
    if (process.argv.includes('--berth-only')) engines.push(await startBenchBerthd('build'));
    else await startBenchEngines('build', engines);
    for (const e of engines) results.push([e.name, await measure(e, ctx, rounds)]);
  } finally {
    await stopAll(engines);
    await fs.rm(ctx, { recursive: true, force: true });
  }
  const rows: Array<[string, (f: Figures) => string]> = [
    ['build, cold (s)', (f) => (f.cold / 1000).toFixed(2)],
    ['build, fully cached (s)', (f) => (f.cached / 1000).toFixed(2)],
    ['build, one file changed (s)', (f) => (f.changed / 1000).toFixed(2)],
  ];
  const names = results.map(([n]) => n);
  process.stdout.write(`\n| metric (median of ${rounds}) | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|\n`);
  for (const [label, fmt] of rows) process.stdout.write(`| ${label} | ${results.map(([, f]) => fmt(f)).join(' | ')} |\n`);
  process.stdout.write(`\n${machineLine()}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
