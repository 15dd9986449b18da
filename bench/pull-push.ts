// Pull/push and save/load throughput: berth vs dockerd, side by side in one run.
//
// A 5-layer image of 200 MB (uncompressed; half random, half text, many
// files per layer, gzip'd as registries hold them) is put in a loopback
// registry (docker-registry) with skopeo. Then, for each engine (berthd; and
// dockerd when installed, on its own socket, data root and exec root with
// --bridge none --iptables=false):
//   pull   `docker pull` into an empty data root (download + verify + unpack)
//   push   `docker push` to an empty registry
//   save   `docker save -o`
//   load   `docker load -i` into an empty data root
// MB/s are computed on the image's uncompressed size (what `docker images`
// shows), and for pull/push also on the compressed bytes transferred.
// Each operation's CPU time is also taken, as user+sys of the daemon process
// (all its threads) from /proc/<pid>/stat before and after: on a shared
// machine wall time wanders with the other load, CPU-seconds per GB much
// less. The registry's own CPU for pull and push is shown too (it shares the
// cores). Figures are medians over the rounds.
//
// Run: node_modules/.bin/tsc -p . && node_modules/node/bin/node dist/bench/pull-push.js [--mb 200] [--layers 5] [--rounds 1] [--dockerd 0]
//   --dockerd 0   berthd only (no dockerd started even when installed)
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runProcess, dockerCli } from '../test/helpers/daemon.js';
import { machineLine, median, numberOptions, startBenchBerthd, startBenchEngines, stopAll, timedDocker, type BenchEngine } from './engines.js';
import { makeTar, skopeo, startRegistry, type TestRegistry } from '../test/helpers/registry.js';

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** An OCI layout with `layers` gzip layers totalling `mb` MB uncompressed. */
async function buildImage(dir: string, mb: number, layers: number): Promise<{ uncompressed: number; compressed: number }> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const perLayer = Math.floor((mb * 1e6) / layers);
  const fileSize = 1 << 20;
  const diffIds: string[] = [];
  const layerDescs: Array<{ mediaType: string; digest: string; size: number }> = [];
  let uncompressed = 0;
  let compressed = 0;
  const text = Buffer.from('berth benchmark line: the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(Math.ceil(fileSize / 77))).subarray(0, fileSize);
  for (let l = 0; l < layers; l++) {
    const files: Record<string, Buffer> = {};
    const n = Math.max(1, Math.floor(perLayer / fileSize));
    for (let f = 0; f < n; f++) files[`layer${l}/file${f}.bin`] = f % 2 === 0 ? randomBytes(fileSize) : text;
    const raw = await makeTar(files);
    const gz = gzipSync(raw, { level: 6 });
    diffIds.push(sha256(raw));
    const d = sha256(gz);
    await fs.writeFile(path.join(blobs, d.slice(7)), gz);
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d, size: gz.length });
    uncompressed += raw.length;
    compressed += gz.length;
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i}` })),
  }));
  await fs.writeFile(path.join(blobs, sha256(config).slice(7)), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layerDescs,
  }));
  await fs.writeFile(path.join(blobs, sha256(manifest).slice(7)), manifest);
  await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
  }));
  return { uncompressed, compressed };
}

interface Engine extends BenchEngine {
  /** Empty its image store (between rounds). */
  reset(): Promise<void>;
}

/** CPU seconds (user + sys, every thread) a process has used so far; 0 when it is gone. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The pid of the docker-registry serving from `dir` (its config file is under it). */
function registryPid(reg: TestRegistry): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('registry') && cmdline.includes(reg.dir)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

interface Sample {
  /** Wall seconds of the docker CLI. */
  s: number;
  /** CPU seconds of the daemon. */
  cpu: number;
  /** CPU seconds of the registry (pull, push). */
  registryCpu: number;
}

/**
 * Runs the docker CLI, timing it and the CPU the daemon (and a registry)
 * used meanwhile. Dirty pages are written back first (sync), so that an
 * operation does not pay for the writeback of the one before (the previous
 * load's 400 MB made the next pull's fsyncs wait).
 */
async function docker(engine: BenchEngine, args: string[], registry?: TestRegistry): Promise<Sample> {
  await runProcess('sync', []);
  const pid = engine.pid();
  const regPid = registry ? registryPid(registry) : undefined;
  const cpu0 = cpuSeconds(pid);
  const reg0 = cpuSeconds(regPid);
  const s = (await timedDocker(engine.host, args)).ms / 1000;
  return { s, cpu: cpuSeconds(pid) - cpu0, registryCpu: cpuSeconds(regPid) - reg0 };
}

async function removeAllImages(host: string): Promise<void> {
  // prune, not only rmi: berthd keeps the blobs of removed images until the
  // next collection (a prune that deleted something, a restart), and a pull
  // would then unpack them from its content store instead of downloading.
  await runProcess(dockerCli, ['-H', host, 'image', 'prune', '-a', '-f']);
  const ids = (await runProcess(dockerCli, ['-H', host, 'images', '-a', '-q'])).stdout.trim().split('\n').filter(Boolean);
  if (ids.length) await runProcess(dockerCli, ['-H', host, 'rmi', '-f', ...new Set(ids)]);
}

/** The engine with reset(): `docker image prune -a -f`, then `docker rmi -f` of any image left. */
const withReset = (e: BenchEngine): Engine => ({ ...e, reset: () => removeAllImages(e.host) });

interface Figures {
  pull: Sample;
  push: Sample;
  save: Sample;
  load: Sample;
}

async function measure(engine: Engine, src: TestRegistry, dstFactory: () => Promise<TestRegistry>, work: string): Promise<Figures> {
  const ref = `${src.host}/bench:1`;
  await engine.reset();
  const pull = await docker(engine, ['pull', '-q', ref], src);
  const dst = await dstFactory();
  try {
    await timedDocker(engine.host, ['tag', ref, `${dst.host}/bench:1`]);
    const push = await docker(engine, ['push', '-q', `${dst.host}/bench:1`], dst);
    const file = path.join(work, `${engine.name}-save.tar`);
    const save = await docker(engine, ['save', '-o', file, ref]);
    await engine.reset();
    const load = await docker(engine, ['load', '-q', '-i', file]);
    await fs.rm(file, { force: true });
    return { pull, push, save, load };
  } finally {
    await dst.stop();
  }
}

async function main(): Promise<void> {
  const args = numberOptions(process.argv.slice(2), { mb: 200, layers: 5, rounds: 1, dockerd: 1 });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-pp-'));
  const started: BenchEngine[] = [];
  let src: TestRegistry | undefined;
  try {
    process.stdout.write(`building a ${args.layers}-layer ${args.mb} MB image...\n`);
    const sizes = await buildImage(path.join(work, 'layout'), args.mb, args.layers);
    src = await startRegistry();
    await skopeo(['copy', `oci:${path.join(work, 'layout')}:bench`, `docker://${src.host}/bench:1`, ...src.skopeoDestArgs()], 600_000);
    await fs.rm(path.join(work, 'layout'), { recursive: true, force: true });
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    process.stdout.write(`image: ${mb(sizes.uncompressed)} MB uncompressed, ${mb(sizes.compressed)} MB compressed, ${args.layers} layers\n`);
    if (args.dockerd) await startBenchEngines('pp', started, { busybox: false });
    else started.push(await startBenchBerthd('pp', { busybox: false }));
    const engines = started.map(withReset);
    const results = new Map<string, Figures[]>();
    for (let r = 0; r < args.rounds; r++) {
      for (const e of engines) {
        const f = await measure(e, src, () => startRegistry(), work);
        results.set(e.name, [...(results.get(e.name) ?? []), f]);
      }
    }
    process.stdout.write('\nengine    op     seconds   MB/s (uncompressed)   MB/s (compressed)   daemon CPU s   CPU s/GB   registry CPU s\n');
    for (const [name, list] of results) {
      for (const op of ['pull', 'push', 'save', 'load'] as const) {
        const s = median(list.map((f) => f[op].s));
        const cpu = median(list.map((f) => f[op].cpu));
        const u = sizes.uncompressed / 1e6 / s;
        const transfer = op === 'pull' || op === 'push';
        const c = transfer ? (sizes.compressed / 1e6 / s).toFixed(0) : '-';
        const perGb = cpu / (sizes.uncompressed / 1e9);
        const reg = transfer ? median(list.map((f) => f[op].registryCpu)).toFixed(2) : '-';
        process.stdout.write(
          `${name.padEnd(9)} ${op.padEnd(6)} ${s.toFixed(2).padStart(7)}   ${u.toFixed(0).padStart(19)}   ${c.padStart(17)}   ${cpu.toFixed(2).padStart(12)}   ${perGb.toFixed(2).padStart(8)}   ${reg.padStart(14)}\n`,
        );
      }
    }
    process.stdout.write(`${machineLine()}\n`);
  } finally {
    await stopAll(started);
    await src?.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
