// docker's JSON progress streams (pull, push, load, import) drawn as the
// docker CLI draws them (moby pkg/jsonmessage DisplayJSONMessagesStream):
// on a terminal each layer keeps its own line, redrawn in place with cursor
// movements, and bars are drawn for the terminal's width; otherwise only
// status lines are printed and byte counts are left out.
import type { TextWriter } from './command.js';
import { formatProgress, type ProgressDetail } from '../image/progress.js';

/** One message of the stream, as the daemon sends it. */
export interface JSONMessage {
  stream?: string;
  status?: string;
  /** A pointer in Go: present (even `{}`) means a progress line. */
  progressDetail?: ProgressDetail | null;
  /** Deprecated preformatted progress string. */
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string } | null;
  error?: string;
  aux?: unknown;
}

/** An error the stream carried (jsonmessage.JSONError): docker prints the message, exit status `code` or 1. */
export class JSONMessageError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'JSONMessageError';
  }
}

export interface DisplayOptions {
  /** Whether stdout is a terminal: lines are then redrawn in place. */
  isTerminal: boolean;
  /** The terminal's width (bars need more than 110 columns); 200 when unknown, as docker. */
  width?: number;
  /** Called with each message carrying `aux` (those are not printed). */
  onAux?: (message: JSONMessage) => void;
  /** Current time in seconds, for the time-left estimate (tests). */
  now?: () => number;
}

const ESC = '\x1b[';
const clearLine = `${ESC}2K`;
const cursorUp = (n: number): string => (n === 0 ? '' : `${ESC}${n}A`);
const cursorDown = (n: number): string => (n === 0 ? '' : `${ESC}${n}B`);

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** jsonmessage.RFC3339NanoFixed in local time: 2006-01-02T15:04:05.000000000Z07:00. */
export function rfc3339NanoFixed(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const d = new Date(ms);
  const frac = (((nanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad2(Math.trunc(Math.abs(offset) / 60))}:${pad2(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${frac}${zone}`;
}

function hasProgress(m: JSONMessage): m is JSONMessage & { progressDetail: ProgressDetail } {
  return m.progressDetail !== undefined && m.progressDetail !== null && typeof m.progressDetail === 'object';
}

/** JSONMessage.Display: one message; returns the text, or throws the message's error. */
export function displayMessage(m: JSONMessage, opts: DisplayOptions): string {
  if (m.errorDetail) throw new JSONMessageError(m.errorDetail.message ?? '', m.errorDetail.code ?? 0);
  const width = opts.width ?? 200;
  const now = opts.now?.() ?? Date.now() / 1000;
  const progressText = hasProgress(m) ? formatProgress(m.progressDetail, width, now) : '';
  let out = '';
  let endl = '';
  if (opts.isTerminal && !m.stream && hasProgress(m)) {
    endl = '\r';
    out += clearLine + endl;
  } else if (hasProgress(m) && progressText !== '') {
    // no progress bars off a terminal
    return '';
  }
  if (m.timeNano) out += `${rfc3339NanoFixed(BigInt(m.timeNano))} `;
  else if (m.time) out += `${rfc3339NanoFixed(BigInt(m.time) * 1_000_000_000n)} `;
  if (m.id) out += `${m.id}: `;
  if (m.from) out += `(from ${m.from}) `;
  const status = m.status ?? '';
  if (hasProgress(m) && opts.isTerminal) out += `${status} ${progressText}${endl}`;
  else if (m.progress) out += `${status} ${m.progress}${endl}`;
  else if (m.stream) out += `${m.stream}${endl}`;
  else out += `${status}${endl}\n`;
  return out;
}

/**
 * Splits a stream of concatenated JSON values (json.Decoder's input) into
 * the values' texts.
 */
export async function* jsonValues(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let buffer = '';
  let start = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let scanned = 0;
  for await (const chunk of input) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (let i = scanned; i < buffer.length; i++) {
      const c = buffer[i]!;
      if (start < 0) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
        if (c !== '{' && c !== '[') throw new Error(`invalid character '${c}' looking for beginning of value`);
        start = i;
        depth = 1;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          yield buffer.slice(start, i + 1);
          buffer = buffer.slice(i + 1);
          i = -1;
          start = -1;
        }
      }
    }
    scanned = buffer.length;
  }
  if (start >= 0) throw new Error('unexpected EOF');
}

/**
 * DisplayJSONMessagesStream: renders the daemon's progress stream to `out`.
 * Throws JSONMessageError when the stream reports an error.
 */
export async function displayJSONMessagesStream(input: AsyncIterable<Buffer | string>, out: TextWriter, opts: DisplayOptions): Promise<void> {
  // line index of each id on screen (counted from the first progress line)
  let ids = new Map<string, number>();
  for await (const text of jsonValues(input)) {
    const m = JSON.parse(text) as JSONMessage;
    if (m.aux !== undefined && m.aux !== null) {
      opts.onAux?.(m);
      continue;
    }
    let diff = 0;
    if (m.id && (hasProgress(m) || m.progress)) {
      let line = ids.get(m.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id, line);
        if (opts.isTerminal) out.write('\n');
      }
      diff = ids.size - line;
      if (opts.isTerminal) out.write(cursorUp(diff));
    } else {
      // anything else ends the block of progress lines
      ids = new Map();
    }
    let text2: string;
    try {
      text2 = displayMessage(m, opts);
    } catch (err) {
      if (m.id && opts.isTerminal) out.write(cursorDown(diff));
      throw err;
    }
    out.write(text2);
    if (m.id && opts.isTerminal) out.write(cursorDown(diff));
  }
}

/** The options for this process's stdout, as docker decides them. */
export function stdoutDisplayOptions(): DisplayOptions {
  const isTerminal = process.stdout.isTTY === true;
  return { isTerminal, width: isTerminal ? (process.stdout.columns ?? 200) : 200 };
}
