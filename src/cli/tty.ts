// The local terminal for attached containers and execs, as the docker CLI
// handles it (docker/cli cli/command/container/tty.go, hijack.go and
// moby/term): raw mode on stdin while attached (restored on every way out),
// the container's TTY kept at the terminal's size (an initial resize with
// retries, then one per SIGWINCH), and the detach key sequence.
import type { ApiClient } from './client/api-client.js';

// ---------------------------------------------------------------------------
// Detach keys (moby/term ToBytes).

/** ctrl-p ctrl-q: docker's default detach sequence. */
export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);

const CONTROL_KEYS = [
  'ctrl-@', 'ctrl-a', 'ctrl-b', 'ctrl-c', 'ctrl-d', 'ctrl-e', 'ctrl-f', 'ctrl-g', 'ctrl-h', 'ctrl-i', 'ctrl-j', 'ctrl-k',
  'ctrl-l', 'ctrl-m', 'ctrl-n', 'ctrl-o', 'ctrl-p', 'ctrl-q', 'ctrl-r', 'ctrl-s', 'ctrl-t', 'ctrl-u', 'ctrl-v', 'ctrl-w',
  'ctrl-x', 'ctrl-y', 'ctrl-z', 'ctrl-[', 'ctrl-\\', 'ctrl-]', 'ctrl-^', 'ctrl-_',
];

/**
 * term.ToBytes: a comma-separated list of single characters, `ctrl-<x>`
 * (x in a-z, @, [, \, ], ^, _) and `DEL`, e.g. "ctrl-p,ctrl-q" or "a,b".
 */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (Buffer.byteLength(key) === 1) {
      codes.push(Buffer.from(key)[0]!);
      continue;
    }
    const control = CONTROL_KEYS.indexOf(key);
    if (control >= 0) codes.push(control);
    else if (key === 'DEL') codes.push(127);
    else throw new Error(`Unknown character: '${key}'`);
  }
  return Buffer.from(codes);
}

/** What the escape proxy reports when the whole detach sequence was typed (term.EscapeError). */
export const ESCAPE_SEQUENCE_MESSAGE = 'read escape sequence';

/**
 * moby/term's escapeProxy: passes input through, holding back keys that
 * could begin the detach sequence; when the last key arrives, reports
 * detach (the held keys are dropped). Like docker, it matches only reads of
 * a single byte (keystrokes): a longer read, or a key that breaks the
 * sequence, releases the held keys in front of it.
 */
export class EscapeProxy {
  private readonly keys: Buffer;
  private position = 0;

  constructor(keys: Buffer = DEFAULT_DETACH_KEYS) {
    this.keys = keys;
  }

  /** The bytes to forward for one read, or `detached` when the sequence completed. */
  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const release = (): Buffer => {
      const held = this.keys.subarray(0, this.position);
      this.position = 0;
      return Buffer.concat([held, chunk]);
    };
    if (chunk.length !== 1 || chunk[0] !== this.keys[this.position]) {
      return { forward: this.position > 0 ? release() : chunk, detached: false };
    }
    if (this.position === this.keys.length - 1) {
      this.position = 0;
      return { forward: Buffer.alloc(0), detached: true };
    }
    this.position++;
    return { forward: Buffer.alloc(0), detached: false };
  }
}

// ---------------------------------------------------------------------------
// Raw mode.

interface TtyInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

let restoreHooks: (() => void)[] = [];
let exitHookInstalled = false;

function runRestoreHooks(): void {
  const hooks = restoreHooks;
  restoreHooks = [];
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // the terminal may be gone
    }
  }
}

/**
 * Puts stdin in raw mode when it is a terminal; returns the function that
 * restores it (idempotent). Process exit restores it too, so no path out of
 * the CLI leaves the terminal raw.
 */
export function setRawTerminal(input: TtyInput = process.stdin): () => void {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return () => undefined;
  const wasRaw = input.isRaw === true;
  input.setRawMode(true);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    restoreHooks = restoreHooks.filter((h) => h !== restore);
    input.setRawMode?.(wasRaw);
  };
  restoreHooks.push(restore);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', runRestoreHooks);
  }
  return restore;
}

// ---------------------------------------------------------------------------
// Terminal size.

interface TtyOutput {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

/** Out().GetTtySize(): [height, width], or [0, 0] when stdout is not a terminal. */
export function ttySize(output: TtyOutput = process.stdout): [number, number] {
  if (!output.isTTY) return [0, 0];
  return [output.rows ?? 0, output.columns ?? 0];
}

export interface ResizeTarget {
  readonly client: ApiClient;
  readonly id: string;
  /** An exec instance (POST /exec/{id}/resize) rather than a container. */
  readonly isExec: boolean;
}

/** resizeTTYTo: POST .../resize?h=&w=; a 0x0 size is not sent. */
export async function resizeTtyTo(target: ResizeTarget, height: number, width: number): Promise<void> {
  if (height === 0 && width === 0) return;
  const base = target.isExec ? `/exec/${target.id}/resize` : `/containers/${target.id}/resize`;
  await target.client.call('POST', base, { query: { h: height, w: width } });
}

/**
 * MonitorTtySize: sets the container's TTY to the terminal's size (retrying
 * a few times, as the process may not be ready yet), then follows SIGWINCH.
 * Returns the function that stops following.
 */
export async function monitorTtySize(target: ResizeTarget, output: TtyOutput = process.stdout): Promise<() => void> {
  const resize = async (): Promise<void> => {
    const [h, w] = ttySize(output);
    await resizeTtyTo(target, h, w);
  };
  // docker's initTtySize: up to 10 retries, 10ms * attempt apart.
  let lastError: unknown;
  for (let attempt = 0; attempt <= 10; attempt++) {
    try {
      await resize();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
    }
  }
  if (lastError !== undefined) process.stderr.write(`failed to resize tty, using default size\n`);
  const onWinch = (): void => {
    resize().catch(() => undefined);
  };
  process.on('SIGWINCH', onWinch);
  return () => process.off('SIGWINCH', onWinch);
}
