// Container logs. conmon writes every log file (json-file and local drivers
// alike) in the CRI "k8s-file" format, one record per line:
//
//   2026-11-23T09:17:23.123456789+00:00 stdout F hello world
//   <RFC 3339 time, local offset> <stdout|stderr> <F: line ends | P: partial> <bytes>
//
// berth reads them back into Docker's API (docker logs, attach logs=1):
// stdout and stderr apart, partial records joined without a newline. Docker's
// log options map as: max-size with max-file 1 → conmon --log-size-max (it
// truncates, which is what json-file does with one file); max-file > 1 →
// berthd rotates (<log>.1 … <log>.N-1) when the file reaches max-size and
// asks conmon to reopen its log through the ctl fifo. See docs/logs.md.
import { createReadStream, promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { invalidParameter, notImplemented } from '../common/errors.js';
import { formatRfc3339Nano, parseRfc3339Nano } from '../common/time.js';
import type { LogConfig } from './container-config.js';
import type { ConmonLog } from './conmon.js';

export const LOG_DRIVERS = ['json-file', 'local', 'none', 'journald'] as const;
export type LogDriverName = (typeof LOG_DRIVERS)[number];

const JSON_FILE_OPTS = ['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size'];
const LOCAL_OPTS = ['max-size', 'max-file', 'compress', 'mode', 'max-buffer-size'];
const JOURNALD_OPTS = ['tag', 'labels', 'labels-regex', 'env', 'env-regex', 'mode', 'max-buffer-size'];

/** go-units RAMInBytes: "10m", "1g", "512k", "100" (bytes), binary multiples. */
export function parseRamBytes(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw invalidParameter(`invalid size: '${value}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.trunc(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

export interface ResolvedLogConfig {
  Type: LogDriverName;
  Config: Record<string, string>;
  /** Bytes; 0: no limit. */
  maxSize: number;
  maxFile: number;
}

/**
 * The container's log configuration: its own or the daemon's defaults
 * (--log-driver, --log-opt), validated with dockerd's messages.
 */
export function resolveLogConfig(own: LogConfig | null | undefined, daemonDriver: string, daemonOpts: Record<string, string>): ResolvedLogConfig {
  const type = own?.Type || daemonDriver || 'json-file';
  const opts = own?.Type ? { ...(own.Config ?? {}) } : { ...daemonOpts, ...(own?.Config ?? {}) };
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) throw invalidParameter(`failed to create task for container: logger: no log driver named '${type}' is registered`);
  const allowed = type === 'json-file' ? JSON_FILE_OPTS : type === 'local' ? LOCAL_OPTS : type === 'journald' ? JOURNALD_OPTS : [];
  for (const key of Object.keys(opts)) {
    if (key === 'mode' || key === 'max-buffer-size') continue;
    if (!allowed.includes(key)) throw invalidParameter(`unknown log opt '${key}' for ${type} log driver`);
  }
  let maxSize = 0;
  let maxFile = 1;
  if (type === 'local') {
    maxSize = 20 * 1024 * 1024;
    maxFile = 5;
  }
  if (opts['max-size'] !== undefined) {
    maxSize = parseRamBytes(opts['max-size']);
    if (maxSize <= 0) maxSize = 0;
  }
  if (opts['max-file'] !== undefined) {
    const n = Number(opts['max-file']);
    if (!Number.isInteger(n)) throw invalidParameter(`strconv.Atoi: parsing "${opts['max-file']}": invalid syntax`);
    if (n < 1) throw invalidParameter('max-file cannot be less than 1');
    maxFile = n;
  }
  if (type === 'json-file' && maxFile > 1 && maxSize === 0) throw invalidParameter('max-file cannot be set when max-size is not set');
  if (opts.compress !== undefined && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(opts.compress)) {
    throw invalidParameter(`strconv.ParseBool: parsing "${opts.compress}": invalid syntax`);
  }
  return { Type: type as LogDriverName, Config: opts, maxSize, maxFile };
}

/** Where the log of a container lives; '' when the driver keeps no file berth can read. */
export function logFilePath(containerDir: string, id: string, driver: LogDriverName): string {
  if (driver === 'json-file') return path.join(containerDir, `${id}-json.log`);
  if (driver === 'local') return path.join(containerDir, 'local-logs', 'container.log');
  return '';
}

export function conmonLogFor(cfg: ResolvedLogConfig, file: string): ConmonLog {
  if (cfg.Type === 'none') return { driver: 'none' };
  if (cfg.Type === 'journald') return { driver: 'journald', ...(cfg.Config.tag ? { tag: cfg.Config.tag } : {}) };
  // One file: conmon starts it afresh at max-size, as json-file does with max-file 1. More: berthd rotates.
  return { driver: 'k8s-file', path: file, ...(cfg.maxFile <= 1 && cfg.maxSize > 0 ? { maxSize: cfg.maxSize } : {}) };
}

/** The files of a log, oldest first. */
export async function logFiles(file: string, maxFile: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = Math.max(maxFile, 1) - 1; i >= 1; i--) {
    const rotated = `${file}.${i}`;
    if (await exists(rotated)) out.push(rotated);
  }
  out.push(file);
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** Unix nanoseconds. */
  time: bigint;
  /** The record's bytes, with "\n" appended when the record ends a line. */
  data: Buffer;
}

/** Parse one k8s-file record (without its trailing newline). */
export function parseRecord(line: Buffer): LogEntry | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  const time = parseRfc3339Nano(line.subarray(0, s1).toString('latin1'));
  if (time === undefined) return undefined;
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = line.subarray(s2 + 1, tagEnd).toString('latin1');
  const content = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const full = tag.split(':').includes('F');
  return { stream, time, data: full ? Buffer.concat([content, Buffer.from('\n')]) : Buffer.from(content) };
}

/** Which of a log's records to read, as `docker logs` asks. */
export interface LogSelection {
  stdout: boolean;
  stderr: boolean;
  /** Unix nanoseconds; 0n: no bound. */
  since: bigint;
  until: bigint;
  /** Last N records; -1: all. */
  tail: number;
  follow: boolean;
}

export interface ReadLogsOptions extends LogSelection {
  /** For follow: resolves when the container's process has ended (its last output is in the file). */
  stopped?: Promise<void>;
  /** For follow: the reader stops early when this resolves (client went away). */
  cancelled?: Promise<void>;
}

/** Byte offset in `file` where its last `n` records start. */
async function tailOffset(file: string, n: number): Promise<{ offset: number; found: number }> {
  const fh = await fs.open(file, 'r').catch(() => undefined);
  if (!fh) return { offset: 0, found: 0 };
  try {
    const size = (await fh.stat()).size;
    let pos = size;
    let found = 0;
    const chunk = Buffer.alloc(64 * 1024);
    let first = true;
    while (pos > 0) {
      const len = Math.min(chunk.length, pos);
      pos -= len;
      await fh.read(chunk, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (chunk[i] !== 0x0a) continue;
        // The file's final newline ends the last record rather than starting one.
        if (first && pos + i === size - 1) {
          first = false;
          continue;
        }
        first = false;
        found++;
        if (found === n) return { offset: pos + i + 1, found };
      }
      first = false;
    }
    return { offset: 0, found: size > 0 ? found + 1 : 0 };
  } finally {
    await fh.close();
  }
}

async function* readRecords(file: string, start: number): AsyncGenerator<{ entry: LogEntry; end: number }> {
  let stream;
  try {
    await fs.access(file);
    stream = createReadStream(file, { start, highWaterMark: 256 * 1024 });
  } catch {
    return;
  }
  let pending: Buffer = Buffer.alloc(0);
  let offset = start;
  for await (const chunk of stream) {
    const buf = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let from = 0;
    let nl: number;
    while ((nl = buf.indexOf(0x0a, from)) >= 0) {
      const entry = parseRecord(buf.subarray(from, nl));
      offset += nl - from + 1;
      from = nl + 1;
      if (entry) yield { entry, end: offset };
    }
    pending = buf.subarray(from);
  }
}

function wanted(e: LogEntry, o: ReadLogsOptions): boolean {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return false;
  if (o.since > 0n && e.time < o.since) return false;
  if (o.until > 0n && e.time > o.until) return false;
  return true;
}

/**
 * The log's records as Docker's API shows them. With `follow`, keeps reading
 * as conmon appends (across rotations) until `stopped` resolves and the file
 * is drained, or `cancelled` resolves.
 */
export async function* readLogs(file: string, maxFile: number, opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  if (!file) throw notImplemented('configured logging driver does not support reading');
  if (opts.tail === 0 && !opts.follow) return;
  let files = await logFiles(file, maxFile);
  let startIndex = 0;
  let startOffset = 0;
  if (opts.tail > 0) {
    let need = opts.tail;
    startIndex = files.length - 1;
    for (let i = files.length - 1; i >= 0; i--) {
      const { offset, found } = await tailOffset(files[i]!, need);
      startIndex = i;
      startOffset = offset;
      if (found >= need) break;
      need -= found;
      startOffset = 0;
    }
  }
  const untilPassed = (e: LogEntry): boolean => opts.until > 0n && e.time > opts.until;
  if (opts.tail === 0) {
    // Follow from the end only.
    startIndex = files.length - 1;
    startOffset = (await fs.stat(files[startIndex]!).catch(() => ({ size: 0 }))).size;
  }
  // Everything but the live file.
  for (let i = startIndex; i < files.length - 1; i++) {
    for await (const { entry } of readRecords(files[i]!, i === startIndex ? startOffset : 0)) {
      if (untilPassed(entry)) return;
      if (wanted(entry, opts)) yield entry;
    }
    startOffset = 0;
  }
  // The live file: read, and when following, keep reading as it grows or rotates.
  let offset = startIndex === files.length - 1 ? startOffset : 0;
  let ino = (await fs.stat(file).catch(() => undefined))?.ino;
  for (;;) {
    for await (const { entry, end } of readRecords(file, offset)) {
      offset = end;
      if (untilPassed(entry)) return;
      if (wanted(entry, opts)) yield entry;
    }
    if (!opts.follow) return;
    // Rotated away? Drain the old file (now <file>.1) from where we were, then start over on the new one.
    const now = await fs.stat(file).catch(() => undefined);
    if (ino !== undefined && now?.ino !== ino) {
      files = await logFiles(file, maxFile);
      for (const f of files.slice(0, -1)) {
        const st = await fs.stat(f).catch(() => undefined);
        if (st?.ino === ino) {
          for await (const { entry } of readRecords(f, offset)) {
            if (untilPassed(entry)) return;
            if (wanted(entry, opts)) yield entry;
          }
        }
      }
      ino = now?.ino;
      offset = 0;
      if (now) continue;
    }
    const outcome = await waitForGrowth(file, opts.stopped, opts.cancelled);
    if (outcome === 'cancelled') return;
    if (outcome === 'stopped') {
      // The process is gone: whatever conmon wrote is in the file now.
      for await (const { entry } of readRecords(file, offset)) {
        if (untilPassed(entry)) return;
        if (wanted(entry, opts)) yield entry;
      }
      return;
    }
  }
}

function waitForGrowth(file: string, stopped?: Promise<void>, cancelled?: Promise<void>): Promise<'grew' | 'stopped' | 'cancelled'> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    let done = false;
    const finish = (v: 'grew' | 'stopped' | 'cancelled'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watcher?.close();
      resolve(v);
    };
    try {
      watcher = watch(path.dirname(file), { persistent: false }, (_ev, name) => {
        if (!name || name.toString().startsWith(path.basename(file))) finish('grew');
      });
      watcher.on('error', () => finish('grew'));
    } catch {
      // The directory is gone: poll.
    }
    // A safety net for missed notifications.
    const timer = setTimeout(() => finish('grew'), 1000);
    void stopped?.then(() => finish('stopped'));
    void cancelled?.then(() => finish('cancelled'));
  });
}

/** Docker's API bytes of one entry: the optional timestamp and details prefix, then the data. */
export function formatEntry(e: LogEntry, timestamps: boolean, details: string): Buffer {
  if (!timestamps && !details) return e.data;
  let prefix = '';
  if (timestamps) prefix += `${formatRfc3339Nano(e.time)} `;
  if (details) prefix += `${details} `;
  return Buffer.concat([Buffer.from(prefix), e.data]);
}

/**
 * Rotation for max-file > 1: when the log reaches max-size, berthd shifts
 * <log>.1 … <log>.N-2 up, renames the log to <log>.1 and has conmon reopen
 * its log (ctl fifo message 2), so no line is lost: conmon keeps writing to
 * the renamed file until it reopens. (conmon's own --log-size-max replaces the
 * full file, which would drop lines, so it is used only with max-file 1.)
 * A burst written faster than berthd reacts makes a file larger than max-size;
 * while berthd is down nothing rotates, and it catches up when it is back.
 */
export class LogRotator {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly maxSize: number,
    private readonly maxFile: number,
    private readonly reopen: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    if (this.maxFile <= 1 || this.maxSize <= 0) return;
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_ev, name) => {
        if (!name || name.toString() === path.basename(this.file)) this.check();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // the periodic check alone
    }
    this.timer = setInterval(() => this.check(), 1000);
    this.timer.unref();
    this.check();
  }

  private check(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.rotateIfFull().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.check();
      }
    });
  }

  private async rotateIfFull(): Promise<void> {
    const st = await fs.stat(this.file).catch(() => undefined);
    if (!st || st.size < this.maxSize || this.closed) return;
    for (let i = this.maxFile - 1; i >= 2; i--) {
      await fs.rename(`${this.file}.${i - 1}`, `${this.file}.${i}`).catch(() => undefined);
    }
    await fs.rename(this.file, `${this.file}.1`).catch(() => undefined);
    await this.reopen().catch(() => undefined);
  }

  /** Stop watching; a rotation in progress finishes. */
  async stop(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** Remove a container's log files (on docker rm). */
export async function removeLogFiles(file: string, maxFile: number): Promise<void> {
  if (!file) return;
  for (const f of await logFiles(file, Math.max(maxFile, 10))) await fs.rm(f, { force: true });
}
