// HEALTHCHECK / --health-cmd: a probe run in the container every interval
// (moby daemon/health.go, read not translated): CMD or CMD-SHELL, a timeout,
// `retries` failures in a row make it unhealthy, failures within the start
// period do not count, the last 5 results are kept with 4 KiB of output each,
// and every change of status is a `health_status: <status>` event.
//
// The probe runs through the OCI runtime directly (`runc exec --process`), in
// the foreground, so its output comes back on its pipes.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatRfc3339Nano, nowNano } from '../common/time.js';
import type { HealthConfig } from '../common/container-config.js';
import type { HealthState } from './model.js';
import type { OciRuntime } from './oci-runtime.js';
import type { OciProcess } from './spec/types.js';
import { generateId } from './util.js';

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

/** The probe's command, or undefined when there is none (no test, or NONE). */
export function probeCommand(test: string[] | null | undefined, shell: string[] | null | undefined): string[] | undefined {
  if (!test || test.length === 0) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD') return rest.length ? rest : undefined;
  if (kind === 'CMD-SHELL') return [...(shell && shell.length ? shell : ['/bin/sh', '-c']), rest.join(' ')];
  return undefined;
}

export interface HealthTarget {
  id: string;
  runtime: OciRuntime;
  /** The container's process settings (from its config.json) that probes start from. */
  process(): Promise<OciProcess>;
  /** Where probe process specs are written. */
  dir: string;
  startedAtMs: number;
  /** Called after each result; `changed` when the status changed. */
  onResult(state: HealthState, changed: boolean): void;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly state: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };

  constructor(
    private readonly cfg: HealthConfig,
    private readonly cmd: string[],
    private readonly target: HealthTarget,
  ) {}

  start(): void {
    this.schedule(true);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private ms(ns: number | undefined, dflt: number): number {
    return ns && ns > 0 ? Math.round(ns / 1e6) : dflt;
  }

  private inStartPeriod(): boolean {
    return Date.now() - this.target.startedAtMs < this.ms(this.cfg.StartPeriod, 0);
  }

  private schedule(first = false): void {
    if (this.stopped) return;
    // During the start period probes run every start interval (API 1.44+), else every interval.
    const delay = this.state.Status === 'starting' && this.inStartPeriod() && this.cfg.StartInterval
      ? this.ms(this.cfg.StartInterval, DEFAULT_START_INTERVAL_MS)
      : this.ms(this.cfg.Interval, DEFAULT_INTERVAL_MS);
    this.timer = setTimeout(() => void this.probe(), first ? delay : delay);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.stopped) return;
    const start = nowNano();
    const { exitCode, output } = await this.run();
    if (this.stopped) return;
    const before = this.state.Status;
    this.state.Log.push({ Start: formatRfc3339Nano(start), End: formatRfc3339Nano(nowNano()), ExitCode: exitCode, Output: output });
    if (this.state.Log.length > MAX_LOG_ENTRIES) this.state.Log.splice(0, this.state.Log.length - MAX_LOG_ENTRIES);
    if (exitCode === 0) {
      this.state.FailingStreak = 0;
      this.state.Status = 'healthy';
    } else if (!(this.inStartPeriod() && this.state.Status === 'starting')) {
      this.state.FailingStreak++;
      const retries = this.cfg.Retries && this.cfg.Retries > 0 ? this.cfg.Retries : DEFAULT_RETRIES;
      if (this.state.FailingStreak >= retries) this.state.Status = 'unhealthy';
    }
    this.target.onResult(this.state, this.state.Status !== before);
    this.schedule();
  }

  private async run(): Promise<{ exitCode: number; output: string }> {
    let p: OciProcess;
    try {
      p = structuredClone(await this.target.process());
    } catch (err) {
      return { exitCode: -1, output: `health check: ${(err as Error).message}` };
    }
    p.args = [...this.cmd];
    delete p.terminal;
    delete p.consoleSize;
    const file = path.join(this.target.dir, `health-${generateId().slice(0, 12)}.json`);
    await fs.mkdir(this.target.dir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(p));
    const timeoutMs = this.ms(this.cfg.Timeout, DEFAULT_TIMEOUT_MS);
    try {
      return await new Promise((resolve) => {
        const rt = this.target.runtime;
        const child = spawn(rt.desc.path, [...rt.globalArgs(), 'exec', '--process', file, this.target.id], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = Buffer.alloc(0);
        const collect = (d: Buffer): void => {
          if (out.length < MAX_OUTPUT) out = Buffer.concat([out, d]).subarray(0, MAX_OUTPUT);
        };
        child.stdout!.on('data', collect);
        child.stderr!.on('data', collect);
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve({ exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` });
        }, timeoutMs);
        child.on('error', (err) => {
          clearTimeout(timer);
          resolve({ exitCode: -1, output: err.message });
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ exitCode: code ?? -1, output: out.toString('utf8') });
        });
      });
    } finally {
      await fs.rm(file, { force: true });
    }
  }
}
