// Attaching a client to a container's (or an exec's) stdio through conmon's
// attach socket. The socket is SOCK_SEQPACKET (node:net cannot open it;
// node-unix-socket can); each packet conmon sends carries a 1-byte stream
// prefix (2 stdout, 3 stderr) and whatever we write is the process's stdin.
// Half-closing our side makes conmon close the process's stdin (unless it
// runs with --leave-stdin-open).
//
// Docker's semantics (moby container/stream/attach.go): when the client's
// stdin ends, a non-TTY container with StdinOnce gets its stdin closed;
// otherwise the attach ends and the container keeps its stdin. With a TTY the
// daemon watches the client's stdin for the detach keys (ctrl-p ctrl-q by
// default) and ends the attach when it sees them.
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { invalidParameter } from '../common/errors.js';
import { frame, StreamId } from '../api/http/stdcopy.js';

const require = createRequire(import.meta.url);

interface SeqpacketSocketLike {
  connect(path: string, cb?: () => void): void;
  write(buf: Buffer, offset?: number, length?: number, cb?: () => void): void;
  end(cb?: () => void): void;
  destroy(): void;
  on(event: 'data', cb: (buf: Buffer) => void): this;
  on(event: 'end' | 'close' | 'connect', cb: () => void): this;
  on(event: 'error', cb: (err: Error) => void): this;
  once(event: 'connect' | 'close', cb: () => void): this;
  once(event: 'error', cb: (err: Error) => void): this;
  removeListener(event: string, cb: (...args: never[]) => void): this;
}

type SeqpacketCtor = new (fd?: number) => SeqpacketSocketLike;
let seqpacketCtor: SeqpacketCtor | undefined;
function SeqpacketSocket(): SeqpacketCtor {
  seqpacketCtor ??= (require('node-unix-socket') as { SeqpacketSocket: SeqpacketCtor }).SeqpacketSocket;
  return seqpacketCtor;
}

/** conmon's stdio buffer: a bigger stdin packet would be truncated by its read(). */
const STDIN_PACKET_MAX = 8192;

/** One connection to a conmon attach socket. */
export class ConmonAttachConnection {
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(private readonly sock: SeqpacketSocketLike) {
    sock.on('close', () => this.markClosed());
    sock.on('end', () => this.markClosed());
    sock.on('error', () => this.markClosed());
  }

  static connect(socketPath: string, timeoutMs = 5000): Promise<ConmonAttachConnection> {
    return new Promise((resolve, reject) => {
      const Ctor = SeqpacketSocket();
      const sock = new Ctor();
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`timed out connecting to ${socketPath}`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      sock.once('error', onError);
      try {
        sock.connect(socketPath, () => {
          clearTimeout(timer);
          sock.removeListener('error', onError as (...args: never[]) => void);
          resolve(new ConmonAttachConnection(sock));
        });
      } catch (err) {
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  /** Output packets: stream 1 (stdout) or 2 (stderr). */
  onOutput(cb: (stream: 1 | 2, data: Buffer) => void): void {
    this.sock.on('data', (packet: Buffer) => {
      if (packet.length < 1) return;
      const kind = packet[0];
      const data = packet.subarray(1);
      if (data.length === 0) return;
      cb(kind === 3 ? 2 : 1, data);
    });
  }

  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closeListeners.push(cb);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  writeStdin(data: Buffer): void {
    if (this.closed) return;
    for (let i = 0; i < data.length; i += STDIN_PACKET_MAX) {
      const part = data.subarray(i, Math.min(i + STDIN_PACKET_MAX, data.length));
      try {
        this.sock.write(Buffer.from(part));
      } catch {
        this.markClosed();
        return;
      }
    }
  }

  /** Half-close: conmon closes the process's stdin unless told to leave it open. */
  closeStdin(): void {
    if (this.closed) return;
    try {
      this.sock.end();
    } catch {
      this.markClosed();
    }
  }

  close(): void {
    if (!this.closed) {
      try {
        this.sock.destroy();
      } catch {
        // already gone
      }
    }
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners.splice(0)) l();
  }
}

/** docker's term.ToBytes: "ctrl-p,ctrl-q" → [16, 17]; "a,b" single characters. */
export function parseDetachKeys(keys: string): number[] {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const key = raw.trim();
    if (key.length > 1 && !key.startsWith('ctrl-')) throw invalidParameter(`Invalid detach keys (${keys}) provided`);
    if (key.startsWith('ctrl-')) {
      const c = key.slice(5);
      let code: number | undefined;
      if (c.length === 1 && c >= 'a' && c <= 'z') code = c.charCodeAt(0) - 96;
      else if (c === '@') code = 0;
      else if (c === '[') code = 27;
      else if (c === '\\') code = 28;
      else if (c === ']') code = 29;
      else if (c === '^') code = 30;
      else if (c === '_') code = 31;
      if (code === undefined) throw invalidParameter(`Invalid detach keys (${keys}) provided`);
      out.push(code);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else {
      throw invalidParameter(`Invalid detach keys (${keys}) provided`);
    }
  }
  return out;
}

export const DEFAULT_DETACH_KEYS = [16, 17];

/**
 * docker's escape proxy: passes bytes through, holding back a prefix of the
 * detach sequence until it is complete (then reports detach) or broken (then
 * releases the held bytes).
 */
export class EscapeDetector {
  private held: number[] = [];
  constructor(private readonly keys: number[]) {}

  /** Returns the bytes to forward and whether the sequence was completed. */
  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      if (this.held.length) {
        out.push(...this.held);
        this.held = [];
        if (b === this.keys[0]) {
          this.held.push(b);
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The container (or exec) has a TTY: raw stream, escape detection. */
  tty: boolean;
  /** Multiplexed frames (non-TTY) rather than raw bytes. */
  multiplex: boolean;
  /** Close the process's stdin when the client's ends (StdinOnce without TTY; always for exec without TTY). */
  closeStdin: boolean;
  detachKeys: number[];
  /** Awaited before the client's stream is closed when the process ended (exec: until its exit code is known). */
  beforeEnd?: () => Promise<void>;
}

/**
 * Bridges a hijacked client connection and a conmon attach connection.
 * Resolves when the attach ends: the process ended (conmon closed), the
 * client went away or detached.
 */
export function bridgeAttach(client: Duplex, initial: Buffer, conn: ConmonAttachConnection, opts: AttachOptions): Promise<'ended' | 'detached' | 'client-closed'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: 'ended' | 'detached' | 'client-closed'): void => {
      if (done) return;
      done = true;
      client.off('data', onData);
      client.off('end', onEnd);
      client.off('close', onClientClose);
      client.off('error', onClientClose);
      if (why === 'ended') {
        // Let what was written reach the client, then close.
        if (opts.beforeEnd) void opts.beforeEnd().finally(() => client.end());
        else client.end();
      } else {
        client.destroy();
      }
      conn.close();
      resolve(why);
    };
    const escape = opts.tty && opts.stdin ? new EscapeDetector(opts.detachKeys) : undefined;
    conn.onOutput((stream, data) => {
      if (done) return;
      if (stream === 1 && !opts.stdout) return;
      if (stream === 2 && !opts.stderr) return;
      client.write(opts.multiplex ? frame(stream === 1 ? StreamId.Stdout : StreamId.Stderr, data) : data);
    });
    conn.onClose(() => finish('ended'));
    const onData = (chunk: Buffer): void => {
      if (!opts.stdin || done) return;
      if (escape) {
        const { forward, detached } = escape.push(chunk);
        if (forward.length) conn.writeStdin(forward);
        if (detached) finish('detached');
        return;
      }
      conn.writeStdin(chunk);
    };
    const onEnd = (): void => {
      if (done) return;
      if (opts.stdin && opts.closeStdin) {
        // The client is done sending: the process gets EOF on stdin; output keeps flowing until it exits.
        conn.closeStdin();
        return;
      }
      if (opts.stdin) finish('client-closed');
    };
    const onClientClose = (): void => finish('client-closed');
    client.on('data', onData);
    client.on('end', onEnd);
    client.on('close', onClientClose);
    client.on('error', onClientClose);
    if (initial.length) onData(initial);
    // The client may have sent everything and half-closed before the process started (echo x | docker run -i).
    if (client.readableEnded) onEnd();
    client.resume();
  });
}
