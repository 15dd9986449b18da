// A streaming tar reader over an async iterable of bytes. It never holds more
// than one source chunk plus one header's records in memory, and reports every
// byte that is not a regular file's data to `onMeta` (headers, padding, the
// end-of-archive blocks and anything after them), which is what tar-split
// needs to rebuild the archive byte for byte.

import { BLOCK_SIZE, TarFormatError, buildHeader, decodeHeaderBlock, parsePaxRecords } from './header.js';
import type { TarHeader } from './header.js';

/** Longest PAX or GNU long-name record we accept (as tar-stream and Go bound them). */
const MAX_META_RECORD = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

class ByteQueue {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunk: Buffer = EMPTY;
  private offset = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.offset >= this.chunk.length) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      const value = next.value;
      this.chunk = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      this.offset = 0;
    }
    return true;
  }

  /** Up to `max` bytes (at least one), or null at end of input. Zero-copy. */
  async readUpTo(max: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const end = Math.min(this.chunk.length, this.offset + max);
    const out = this.chunk.subarray(this.offset, end);
    this.offset = end;
    return out;
  }

  /** Exactly `n` bytes; null when the input ends before the first byte; throws on a short read. */
  async readExact(n: number): Promise<Buffer | null> {
    const first = await this.readUpTo(n);
    if (first === null) return null;
    if (first.length === n) return first;
    // Copied before reading on: a source may reuse a chunk once the next is asked for.
    const parts = [Buffer.from(first)];
    let got = first.length;
    while (got < n) {
      const more = await this.readUpTo(n - got);
      if (more === null) throw new TarFormatError('unexpected EOF');
      parts.push(Buffer.from(more));
      got += more.length;
    }
    return Buffer.concat(parts, n);
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

export interface TarReaderOptions {
  /** Called with every byte that is not regular file data, in archive order. */
  onMeta?: (bytes: Buffer) => void;
}

/**
 * Reads members one at a time:
 *
 *   const reader = new TarReader(bytes);
 *   for (let h = await reader.next(); h; h = await reader.next()) {
 *     for await (const chunk of reader.body()) ...   // or skip it: next() drains
 *   }
 *
 * After the end-of-archive marker, next() keeps reading to the end of the
 * input (a diffID covers every byte of the stream) and returns null.
 */
export class TarReader {
  private readonly queue: ByteQueue;
  private readonly onMeta: (bytes: Buffer) => void;
  /** Data bytes of the current member not yet consumed. */
  private remaining = 0;
  /** Padding after the current member's data. */
  private pendingPadding = 0;
  private finished = false;

  constructor(source: AsyncIterable<Uint8Array>, options: TarReaderOptions = {}) {
    this.queue = new ByteQueue(source);
    this.onMeta = options.onMeta ?? (() => {});
  }

  /** The next member's header, or null at the end of the archive. */
  async next(): Promise<TarHeader | null> {
    if (this.finished) return null;
    await this.skipBody();
    if (this.pendingPadding > 0) {
      const pad = await this.queue.readExact(this.pendingPadding);
      if (pad === null) throw new TarFormatError('unexpected EOF');
      this.onMeta(pad);
      this.pendingPadding = 0;
    }
    let pax = new Map<string, Buffer>();
    let globalPax = new Map<string, Buffer>();
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const block = await this.queue.readExact(BLOCK_SIZE);
      if (block === null) {
        // EOF on a block boundary without an end marker: accepted, as Go does.
        if (pax.size > 0 || longName !== null || longLink !== null) throw new TarFormatError('unexpected EOF');
        this.finished = true;
        return null;
      }
      this.onMeta(block);
      const raw = decodeHeaderBlock(block);
      if (raw === null) {
        await this.drainTrailer();
        return null;
      }
      if (raw.block.kind === 'entry') {
        const merged = globalPax.size > 0 ? new Map([...globalPax, ...pax]) : pax;
        const header = buildHeader(raw, merged, longName, longLink);
        this.remaining = header.size;
        this.pendingPadding = header.size % BLOCK_SIZE === 0 ? 0 : BLOCK_SIZE - (header.size % BLOCK_SIZE);
        return header;
      }
      if (raw.size > MAX_META_RECORD) throw new TarFormatError('header record too large');
      const padded = raw.size + (raw.size % BLOCK_SIZE === 0 ? 0 : BLOCK_SIZE - (raw.size % BLOCK_SIZE));
      const data = padded === 0 ? EMPTY : await this.queue.readExact(padded);
      if (data === null) throw new TarFormatError('unexpected EOF');
      this.onMeta(data);
      const body = data.subarray(0, raw.size);
      switch (raw.block.kind) {
        case 'pax':
          pax = parsePaxRecords(body);
          break;
        case 'pax-global':
          globalPax = new Map([...globalPax, ...parsePaxRecords(body)]);
          break;
        case 'gnu-long-name':
          longName = nulTerminated(body);
          break;
        case 'gnu-long-link':
          longLink = nulTerminated(body);
          break;
      }
    }
  }

  /**
   * The current member's data, in slices of the source's chunks: valid after
   * the next read only if the source does not reuse its buffers (an unpack
   * worker's inflate does: it writes each slice before reading on).
   */
  async *body(): AsyncGenerator<Buffer> {
    while (this.remaining > 0) {
      const chunk = await this.queue.readUpTo(this.remaining);
      if (chunk === null) throw new TarFormatError('unexpected EOF');
      this.remaining -= chunk.length;
      yield chunk;
    }
  }

  /** Reads the whole current body into memory (for small files). */
  async readBody(): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.body()) chunks.push(chunk);
    return chunks;
  }

  /** Discards the rest of the current body, reporting it to onMeta (it is not file data we keep). */
  async skipBody(): Promise<void> {
    for await (const chunk of this.body()) this.onMeta(chunk);
  }

  private async drainTrailer(): Promise<void> {
    // The second zero block, and whatever padding the writer added after it.
    for (;;) {
      const chunk = await this.queue.readUpTo(64 * 1024);
      if (chunk === null) break;
      this.onMeta(chunk);
    }
    this.finished = true;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

function nulTerminated(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul === -1 ? data.length : nul);
}
