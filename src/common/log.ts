// Structured, levelled logging for berthd. One line per event, logfmt-style
// like dockerd's (time="..." level=info msg="..." key=value), to stderr or a file.
import { createWriteStream, type WriteStream } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export function parseLogLevel(value: string): LogLevel {
  const v = value.toLowerCase();
  if (v === 'warning') return 'warn';
  if (v === 'panic') return 'fatal';
  if (v in levelRank) return v as LogLevel;
  throw new Error(`unable to parse logging level: ${value}`);
}

export type LogFields = Record<string, string | number | boolean | undefined | null>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  isDebug(): boolean;
}

function quote(v: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(v) ? v : JSON.stringify(v);
}

class LineLogger implements Logger {
  constructor(
    private readonly sink: { level: LogLevel; out: NodeJS.WritableStream | WriteStream },
    private readonly bound: LogFields,
  ) {}
  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (levelRank[level] < levelRank[this.sink.level]) return;
    let line = `time="${new Date().toISOString()}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(msg)}`;
    for (const src of [this.bound, fields]) {
      if (!src) continue;
      for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== null) line += ` ${k}=${quote(String(v))}`;
    }
    this.sink.out.write(line + '\n');
  }
  debug(msg: string, fields?: LogFields): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.write('error', msg, fields); }
  child(fields: LogFields): Logger { return new LineLogger(this.sink, { ...this.bound, ...fields }); }
  isDebug(): boolean { return this.sink.level === 'debug'; }
}

export interface LogSink { level: LogLevel; out: NodeJS.WritableStream | WriteStream }

export function createLogger(level: LogLevel, file?: string): { logger: Logger; sink: LogSink } {
  const sink: LogSink = { level, out: file ? createWriteStream(file, { flags: 'a' }) : process.stderr };
  return { logger: new LineLogger(sink, {}), sink };
}

/** A logger that drops everything; for tests and library callers that don't care. */
export const nullLogger: Logger = new LineLogger({ level: 'fatal', out: { write: () => true } as unknown as NodeJS.WritableStream }, {});
