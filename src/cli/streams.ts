// I/O over a hijacked connection (attach, exec start, run), as docker/cli's
// hijackedIOStreamer does it: the container's output copied to stdout (raw
// with a TTY, demultiplexed from stdcopy frames into stdout and stderr
// without one), stdin copied to the connection and half-closed at its end,
// and, with a TTY, the local terminal in raw mode and the detach keys
// watched on the client side.
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';

import { FrameDecoder } from '../api/http/stdcopy.js';
import type { TextWriter } from './command.js';
import { DEFAULT_DETACH_KEYS, EscapeProxy, ESCAPE_SEQUENCE_MESSAGE, parseDetachKeys, setRawTerminal } from './tty.js';

/** Something bytes can be written to (process.stdout, a file stream). */
export interface ByteWriter {
  write(chunk: Uint8Array | string): unknown;
}

/** A writer for bytes: streams as they are, other writers given UTF-8 text. */
export function byteWriter(w: TextWriter): ByteWriter {
  if (w instanceof Writable) return w;
  return { write: (chunk) => w.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) };
}

/** Waits until everything written to `w` has been handed to the OS. */
export function drained(w: ByteWriter): Promise<void> {
  if (!(w instanceof Writable) || w.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    w.write('', () => resolve());
  });
}

/** A stdcopy frame on stream 3: the daemon's error in the middle of a stream. */
export class SystemErrorFrame extends Error {
  constructor(message: string) {
    super(`error from daemon in stream: ${message}`);
    this.name = 'SystemErrorFrame';
  }
}

/**
 * stdcopy.StdCopy as a sink: frames to stdout (streams 0 and 1) and stderr
 * (2); a stream-3 frame is an error.
 */
export class StdcopyDemuxer {
  private readonly decoder = new FrameDecoder();
  constructor(
    private readonly stdout: ByteWriter | undefined,
    private readonly stderr: ByteWriter | undefined,
  ) {}

  push(chunk: Buffer): void {
    let failure: Error | undefined;
    this.decoder.push(chunk, (stream, payload) => {
      if (failure) return;
      if (stream === 0 || stream === 1) this.stdout?.write(Buffer.from(payload));
      else if (stream === 2) this.stderr?.write(Buffer.from(payload));
      else if (stream === 3) failure = new SystemErrorFrame(payload.toString('utf8'));
      else failure = new Error(`Unrecognized input header: ${stream}`);
    });
    if (failure) throw failure;
  }
}

/** What stdin is to the streamer: a readable with, when a terminal, raw mode. */
export type InputStream = NodeJS.ReadableStream & {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
};

export interface HijackedStreamOptions {
  readonly socket: Duplex;
  /** Bytes that arrived with the 101 answer. */
  readonly head?: Buffer;
  readonly tty: boolean;
  /** Copied to the connection when given (-i); the terminal goes raw with a TTY. */
  readonly stdin?: InputStream;
  readonly stdout?: ByteWriter;
  readonly stderr?: ByteWriter;
  /** docker's --detach-keys (or config.json's detachKeys); the default sequence when empty or invalid. */
  readonly detachKeys?: string;
  /** Where the "invalid detach escape keys" warning goes. */
  readonly warn?: (message: string) => void;
}

export type StreamOutcome = { readonly kind: 'done' } | { readonly kind: 'detached' };

/** An error the streamer ends with when the user typed the detach keys (docker's term.EscapeError). */
export class EscapeError extends Error {
  constructor() {
    super(ESCAPE_SEQUENCE_MESSAGE);
    this.name = 'EscapeError';
  }
}

/**
 * hijackedIOStreamer.stream: resolves when the output ends (or, without
 * output, when stdin ends), or with `detached` when the detach keys were
 * typed. The terminal is restored on every path.
 */
export function streamHijacked(options: HijackedStreamOptions): Promise<StreamOutcome> {
  const { socket, tty, stdin, stdout, stderr } = options;
  const hasOutput = stdout !== undefined || stderr !== undefined;
  let restoreTerminal: () => void = () => undefined;
  let escape: EscapeProxy | undefined;
  if (stdin && tty) {
    restoreTerminal = setRawTerminal(stdin);
    let keys: Buffer = DEFAULT_DETACH_KEYS;
    if (options.detachKeys) {
      try {
        keys = parseDetachKeys(options.detachKeys);
      } catch (err) {
        options.warn?.(`invalid detach escape keys, using default: ${(err as Error).message}`);
      }
    }
    escape = new EscapeProxy(keys);
  }

  return new Promise<StreamOutcome>((resolve, reject) => {
    let settled = false;
    let inputDone = false;
    let outputDone = false;
    const demuxer = tty ? undefined : new StdcopyDemuxer(stdout, stderr);

    const cleanup = (): void => {
      restoreTerminal();
      if (stdin) {
        stdin.off('data', onInput);
        stdin.off('end', onInputEnd);
        stdin.off('error', onInputEnd);
        stdin.pause();
      }
      socket.off('data', onOutput);
      socket.off('end', onOutputEnd);
      socket.off('close', onOutputEnd);
      socket.off('error', onSocketError);
    };
    const finish = (outcome: StreamOutcome | Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };

    function onOutput(chunk: Buffer): void {
      if (!hasOutput) return;
      try {
        if (demuxer) demuxer.push(chunk);
        else stdout?.write(chunk);
      } catch (err) {
        finish(err as Error);
        socket.destroy();
      }
    }
    function onOutputEnd(): void {
      if (outputDone) return;
      outputDone = true;
      // Restore the terminal as soon as the output ends, before anything else is printed.
      restoreTerminal();
      finish({ kind: 'done' });
    }
    function onSocketError(err: Error): void {
      if (settled) return;
      // A reset after the container's end is how some daemons close; treat it as the end.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE') {
        onOutputEnd();
        return;
      }
      finish(err);
    }
    function onInput(chunk: Buffer | string): void {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (escape) {
        const { forward, detached } = escape.push(data);
        if (forward.length > 0 && socket.writable) socket.write(forward);
        if (detached) {
          restoreTerminal();
          finish({ kind: 'detached' });
          socket.destroy();
        }
        return;
      }
      if (socket.writable) socket.write(data);
    }
    function onInputEnd(): void {
      if (inputDone) return;
      inputDone = true;
      restoreTerminal();
      // CloseWrite: the daemon sees the end of stdin, the output keeps coming.
      if (socket.writable) socket.end();
      if (!hasOutput) finish({ kind: 'done' });
    }

    socket.on('data', onOutput);
    socket.on('end', onOutputEnd);
    socket.on('close', onOutputEnd);
    socket.on('error', onSocketError);
    if (options.head && options.head.length > 0) onOutput(options.head);
    if (stdin) {
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.on('error', onInputEnd);
      stdin.resume();
    } else {
      // No input: docker half-closes the connection at once.
      onInputEnd();
    }
  });
}
