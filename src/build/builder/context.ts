// The build context as the daemon receives it: a tar (plain or gzip) parsed
// as its bytes arrive. The parser is synchronous: each chunk from the socket
// is split into headers and file data at once (no await per member or per
// piece), file data is sha256-hashed as it passes and kept as the received
// slices, never copied (bodies past a budget spill to a temporary directory).
// So the context is read and hashed while the client is still sending it,
// COPY's cache key needs no second pass, and a fully cached build neither
// writes the context to disk nor copies it in memory.
//
// Content hashes leave out mtimes (as docker's tarsum does): `touch` does
// not invalidate a COPY; a changed byte, mode, owner or link target does.
import { createHash, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { invalidParameter } from '../../common/errors.js';
import { decompressed, detectCompression } from '../../storage/compression.js';
import { BLOCK_SIZE, buildHeader, decodeHeaderBlock, parsePaxRecords, TarFormatError, type TarEntryType, type TarHeader } from '../../storage/tar/header.js';
import { PatternMatcher, parseIgnoreFile } from '../dockerignore.js';
import { cleanPath } from '../../common/go-path.js';

export type SourceType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One file of a source tree (the context or another stage's root filesystem). */
export interface SourceNode {
  rel: string;
  type: SourceType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  /** Symlink target, or hard link target (a rel path). */
  linkname: string;
  /** Content in memory, in one piece... */
  data?: Buffer;
  /** ...or as the pieces it arrived in (the context: slices of the received chunks, never copied)... */
  chunks?: readonly Buffer[];
  /** ...or in a file on the host. */
  hostPath?: string;
  /** sha256 of the content (files), '' when not computed yet. */
  contentHash: string;
}

/** A file's content in memory as one Buffer (joined once when it arrived in pieces); undefined when it is on the host. */
export function nodeData(node: SourceNode): Buffer | undefined {
  if (node.data) return node.data;
  if (!node.chunks) return undefined;
  node.data = node.chunks.length === 1 ? node.chunks[0]! : Buffer.concat(node.chunks, node.size);
  node.chunks = undefined;
  return node.data;
}

/** Memory the context may take before file bodies go to the spill directory. */
const MEMORY_BUDGET = 512 * 1024 * 1024;

/** Longest PAX or GNU long-name record accepted (as tar-stream and Go bound them). */
const MAX_META_RECORD = 4 * 1024 * 1024;

/** A name with an empty, `.` or `..` component. */
const UNCLEAN_NAME = /(?:^|\/)\.{0,2}(?:\/|$)/;

/** Normalises a tar member name to a context-relative path ('' for the root); undefined if it escapes. */
export function contextRel(name: string): string | undefined {
  // Names as tar writers make them ("a/b", "a/b/" for a directory) are already clean.
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  if (trimmed !== '' && trimmed[0] !== '/' && !UNCLEAN_NAME.test(trimmed)) return trimmed;
  const cleaned = cleanPath('/' + name).slice(1);
  if (cleaned.split('/').includes('..')) return undefined;
  return cleaned;
}

/** The directory holding a context path ('' for the root's children). */
function parentRel(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** Sorts names in UTF-8 byte order (as Go does): code unit order, unless a surrogate pair is involved. */
function sortNames(names: string[]): string[] {
  if (names.some((n) => /[\ud800-\udfff]/.test(n))) return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A file write the parser asks for (spilled bodies); done in order between chunks. */
type SpillOp = { kind: 'open'; node: SourceNode } | { kind: 'write'; data: Buffer } | { kind: 'close' };

export class BuildContext {
  private readonly nodes = new Map<string, SourceNode>();
  private readonly childrenOf = new Map<string, Set<string>>();
  /** Sorted children, computed on first use (the context does not change while a build reads it). */
  private readonly sortedChildren = new Map<string, SourceNode[]>();
  private memoryUsed = 0;
  private spillDir: string | undefined;
  private spillCount = 0;
  /** Bytes received (the tar as sent, after decompression). */
  received = 0;

  private constructor(
    private readonly tmpRoot: string,
    private readonly memoryBudget: number,
  ) {
    this.nodes.set('', { rel: '', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, linkname: '', contentHash: '' });
  }

  /**
   * Reads a context tar; tmpRoot is where bodies spill once the files kept in
   * memory reach `memoryBudget` bytes (default 512 MiB).
   */
  static async receive(input: AsyncIterable<Uint8Array>, tmpRoot: string, opts: { memoryBudget?: number } = {}): Promise<BuildContext> {
    const ctx = new BuildContext(tmpRoot, opts.memoryBudget ?? MEMORY_BUDGET);
    const parser = new ContextTarParser(ctx);
    try {
      await ctx.read(input, parser);
    } catch (err) {
      await parser.abort();
      await ctx.dispose();
      if (err instanceof Error && !('kind' in err)) throw invalidParameter(`Error processing tar file: ${err.message}`, err);
      throw err;
    }
    return ctx;
  }

  private async read(input: AsyncIterable<Uint8Array>, parser: ContextTarParser): Promise<void> {
    const feed = (chunk: Buffer): void => {
      this.received += chunk.length;
      parser.push(chunk);
    };
    if (input instanceof Readable) {
      // The request body: its 'data' events go straight to the parser (no
      // promise per chunk); a compressed body continues below.
      if (await readPlainEvents(input, feed, parser)) {
        parser.end();
        return;
      }
    }
    const iterator = input[Symbol.asyncIterator]();
    // Enough bytes to tell a gzip (or zstd) context from a plain tar.
    const head: Buffer[] = [];
    let headLength = 0;
    let ended = false;
    while (headLength < 6) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const chunk = asBuffer(next.value);
      head.push(chunk);
      headLength += chunk.length;
    }
    const replay = async function* (): AsyncGenerator<Buffer> {
      yield* head;
      if (!ended) for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield asBuffer(next.value);
    };
    const plain = detectCompression(head.length === 1 ? head[0]! : Buffer.concat(head)) === 'none';
    for await (const chunk of plain ? replay() : decompressed(replay())) {
      feed(asBuffer(chunk));
      if (parser.spillPending()) await parser.spill();
    }
    parser.end();
    if (parser.spillPending()) await parser.spill();
  }

  /** A member the parser read. */
  addMember(header: MemberHeader): SourceNode | undefined {
    const rel = contextRel(header.name);
    if (rel === undefined || rel === '') return undefined;
    const type: SourceType =
      header.type === 'file' ? 'file' : header.type === 'directory' ? 'directory' : header.type === 'symlink' ? 'symlink' : header.type === 'hardlink' ? 'hardlink' : 'other';
    const node: SourceNode = {
      rel,
      type,
      mode: header.mode & 0o7777,
      uid: header.uid,
      gid: header.gid,
      mtime: header.mtime,
      size: type === 'file' ? header.size : 0,
      linkname: type === 'hardlink' ? (contextRel(header.linkname) ?? '') : header.linkname,
      // Every field from the start: one object shape for all members.
      data: undefined,
      chunks: undefined,
      hostPath: undefined,
      contentHash: '',
    };
    this.add(node);
    return node;
  }

  /** Whether a file of `size` bytes stays in memory (counted) or goes to the spill directory (false). */
  keepInMemory(size: number): boolean {
    if (this.memoryUsed + size > this.memoryBudget) return false;
    this.memoryUsed += size;
    return true;
  }

  /** A new file in the spill directory (made on first use). */
  async spillFile(): Promise<string> {
    this.spillDir ??= await fs.mkdtemp(path.join(this.tmpRoot, 'context-'));
    return path.join(this.spillDir, String(this.spillCount++));
  }

  private add(node: SourceNode): void {
    // Parents the tar did not list exist implicitly (docker creates them 0755).
    const parent = parentRel(node.rel);
    if (!this.nodes.has(parent)) {
      this.add({ rel: parent, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: node.mtime, size: 0, linkname: '', contentHash: '' });
    }
    const old = this.nodes.get(node.rel);
    if (old && old.type === 'directory' && node.type === 'directory') {
      Object.assign(old, { mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime });
      return;
    }
    if (old) this.removeTree(node.rel);
    this.nodes.set(node.rel, node);
    let set = this.childrenOf.get(parent);
    if (!set) this.childrenOf.set(parent, (set = new Set()));
    set.add(node.rel);
    this.sortedChildren.delete(parent);
  }

  private removeTree(rel: string): void {
    for (const child of this.childrenOf.get(rel) ?? []) this.removeTree(child);
    this.childrenOf.delete(rel);
    this.sortedChildren.delete(rel);
    const node = this.nodes.get(rel);
    if (node && (node.data || node.chunks)) this.memoryUsed -= node.size;
    this.nodes.delete(rel);
    const parent = parentRel(rel);
    this.childrenOf.get(parent)?.delete(rel);
    this.sortedChildren.delete(parent);
  }

  get(rel: string): SourceNode | undefined {
    return this.nodes.get(rel);
  }

  /** Direct children, sorted by name (byte order, as Go walks). */
  children(rel: string): SourceNode[] {
    let sorted = this.sortedChildren.get(rel);
    if (!sorted) {
      sorted = sortNames([...(this.childrenOf.get(rel) ?? [])]).map((n) => this.nodes.get(n)!);
      this.sortedChildren.set(rel, sorted);
    }
    return sorted;
  }

  /** Every path (not the root), depth first. */
  *walk(rel = ''): Generator<SourceNode> {
    for (const child of this.children(rel)) {
      yield child;
      if (child.type === 'directory') yield* this.walk(child.rel);
    }
  }

  /** The content of a file as a Buffer (small files, the Dockerfile, .dockerignore). */
  async readFile(rel: string): Promise<Buffer | undefined> {
    const node = this.nodes.get(rel);
    if (!node || node.type !== 'file') return undefined;
    const data = nodeData(node);
    if (data) return data;
    if (node.hostPath) return fs.readFile(node.hostPath);
    return Buffer.alloc(0);
  }

  /** Takes a file out of the context (the Dockerfile, the ignore file, when ignored). */
  remove(rel: string): void {
    if (rel !== '' && this.nodes.has(rel)) this.removeTree(rel);
  }

  /**
   * Applies .dockerignore again in the daemon (the CLI already did, but an
   * API client may not have): `<dockerfile>.dockerignore` first, else
   * `.dockerignore`. Returns the patterns used.
   */
  async applyIgnoreFile(dockerfileRel: string): Promise<string[]> {
    let content = await this.readFile(`${dockerfileRel}.dockerignore`);
    if (content === undefined) content = await this.readFile('.dockerignore');
    if (content === undefined) return [];
    const patterns = parseIgnoreFile(content.toString('utf8'));
    if (patterns.length === 0) return patterns;
    const matcher = new PatternMatcher(patterns);
    const doomed: string[] = [];
    for (const node of this.walk()) if (matcher.matchesOrParentMatches(node.rel)) doomed.push(node.rel);
    // With exceptions a directory may match while something inside it is kept.
    for (const rel of doomed) {
      const node = this.nodes.get(rel);
      if (!node) continue;
      if (node.type === 'directory' && matcher.hasExclusions) {
        const kept = [...this.walk(rel)].some((n) => !matcher.matchesOrParentMatches(n.rel));
        if (kept) continue;
      }
      this.removeTree(rel);
    }
    return patterns;
  }

  /** Frees memory and removes the spill directory. */
  async dispose(): Promise<void> {
    this.nodes.clear();
    this.childrenOf.clear();
    this.sortedChildren.clear();
    if (this.spillDir) await fs.rm(this.spillDir, { recursive: true, force: true });
  }
}

/**
 * Feeds a plain tar body from a stream's 'data' events, pausing it while
 * spilled bodies are written. Returns false, having consumed nothing, when
 * the body is compressed (the caller reads it through the decompressor).
 */
function readPlainEvents(stream: Readable, feed: (chunk: Buffer) => void, parser: ContextTarParser): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    /** The first bytes, until there are enough to tell a compressed body; undefined once it is known to be plain. */
    let head: Buffer[] | undefined = [];
    let headLength = 0;
    let ended = false;
    let settled = false;
    let spilling: Promise<void> = Promise.resolve();
    const settle = (err: unknown, plain = true): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', settle);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve(plain);
    };
    const onData = (value: Uint8Array): void => {
      let chunk = asBuffer(value);
      try {
        if (head) {
          head.push(chunk);
          headLength += chunk.length;
          if (headLength < 6) return;
          chunk = head.length === 1 ? chunk : Buffer.concat(head);
          head = undefined;
          if (detectCompression(chunk) !== 'none') {
            stream.pause();
            stream.unshift(chunk);
            settle(undefined, false);
            return;
          }
        }
        feed(chunk);
        if (parser.spillPending()) {
          stream.pause();
          spilling = parser.spill().then(() => {
            if (!settled) stream.resume();
          });
          spilling.catch(settle);
        }
      } catch (err) {
        settle(err);
      }
    };
    const onEnd = (): void => {
      ended = true;
      try {
        // A body shorter than a compression magic number.
        if (head) for (const chunk of head) feed(chunk);
        head = undefined;
      } catch (err) {
        settle(err);
        return;
      }
      spilling.then(() => (parser.spillPending() ? parser.spill() : undefined)).then(() => settle(undefined), settle);
    };
    // Closed without 'end': the client went away in the middle of the body.
    const onClose = (): void => {
      if (!ended) settle(new TarFormatError('unexpected EOF'));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', settle);
    stream.once('close', onClose);
    stream.resume();
  });
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * A tar parser fed chunk by chunk (push), synchronously: headers are decoded
 * as soon as their 512 bytes are in, a file's data is hashed and kept (as
 * slices of the chunks) as it passes. What must be written to disk (bodies
 * past the memory budget) is queued for spill(), which the reader awaits
 * before the next chunk, so at most one chunk's worth waits.
 *
 * Ends as Go's archive/tar does for dockerd: the end-of-archive marker, or
 * the end of input on a member boundary (the docker CLI's stream for a
 * Dockerfile from outside the context also lacks the last member's
 * padding); input ending inside a header, a record or a file's data is
 * `unexpected EOF`.
 */
class ContextTarParser {
  private state: 'header' | 'record' | 'body' | 'padding' | 'end' = 'header';
  /** A header split across chunks. */
  private readonly block = Buffer.alloc(BLOCK_SIZE);
  private blockFill = 0;
  /** A PAX or GNU long-name record being collected. */
  private record: { kind: 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link'; size: number; data: Buffer; fill: number } | undefined;
  private pax = new Map<string, Buffer>();
  private globalPax = new Map<string, Buffer>();
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Data bytes of the current member still to come, and the padding after them. */
  private remaining = 0;
  private padding = 0;
  /** The regular file whose data is passing (undefined: the data is skipped). */
  private file: { node: SourceNode; hash: Hash; chunks: Buffer[] | undefined } | undefined;
  private spillOps: SpillOp[] = [];
  private spillHandle: FileHandle | undefined;
  /** The spill() running, and whether the receive failed (nothing more is written). */
  private spilling: Promise<void> | undefined;
  private aborted = false;

  constructor(private readonly ctx: BuildContext) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'header': {
          let block: Buffer;
          if (this.blockFill === 0 && chunk.length - offset >= BLOCK_SIZE) {
            block = chunk.subarray(offset, offset + BLOCK_SIZE);
            offset += BLOCK_SIZE;
          } else {
            const n = Math.min(BLOCK_SIZE - this.blockFill, chunk.length - offset);
            chunk.copy(this.block, this.blockFill, offset, offset + n);
            this.blockFill += n;
            offset += n;
            if (this.blockFill < BLOCK_SIZE) return;
            this.blockFill = 0;
            block = this.block;
          }
          this.header(block);
          break;
        }
        case 'record': {
          const record = this.record!;
          const n = Math.min(record.data.length - record.fill, chunk.length - offset);
          chunk.copy(record.data, record.fill, offset, offset + n);
          record.fill += n;
          offset += n;
          if (record.fill === record.data.length) this.recordDone(record.kind, record.data.subarray(0, record.size));
          break;
        }
        case 'body': {
          const n = Math.min(this.remaining, chunk.length - offset);
          const piece = chunk.subarray(offset, offset + n);
          offset += n;
          this.remaining -= n;
          const file = this.file;
          if (file) {
            file.hash.update(piece);
            if (file.chunks) file.chunks.push(piece);
            else this.spillOps.push({ kind: 'write', data: piece });
          }
          if (this.remaining === 0) this.bodyDone();
          break;
        }
        case 'padding': {
          const n = Math.min(this.padding, chunk.length - offset);
          offset += n;
          this.padding -= n;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'end':
          // The second zero block and whatever a writer pads after it.
          return;
      }
    }
  }

  /** The input ended. */
  end(): void {
    if (this.state === 'end' || this.state === 'padding') return;
    if (this.state === 'header' && this.blockFill === 0 && this.pax.size === 0 && this.longName === null && this.longLink === null) return;
    throw new TarFormatError('unexpected EOF');
  }

  spillPending(): boolean {
    return this.spillOps.length > 0;
  }

  /** Writes what push() queued for the spill directory, in order. */
  spill(): Promise<void> {
    const ops = this.spillOps;
    this.spillOps = [];
    // The reader awaits each spill before feeding more: they never overlap.
    this.spilling = this.runSpillOps(ops);
    return this.spilling;
  }

  private async runSpillOps(ops: SpillOp[]): Promise<void> {
    for (const op of ops) {
      if (this.aborted) return;
      if (op.kind === 'open') {
        const file = await this.ctx.spillFile();
        this.spillHandle = await fs.open(file, 'w', 0o600);
        op.node.hostPath = file;
      }
      else if (op.kind === 'write') await this.spillHandle!.write(op.data);
      else {
        const handle = this.spillHandle!;
        this.spillHandle = undefined;
        await handle.close();
      }
    }
  }

  /** Stops spilling and closes a file left open by an error (BuildContext.dispose then removes the directory). */
  async abort(): Promise<void> {
    this.aborted = true;
    this.spillOps = [];
    await this.spilling?.catch(() => undefined);
    await this.spillHandle?.close().catch(() => undefined);
    this.spillHandle = undefined;
  }

  private header(block: Buffer): void {
    const plain = this.pax.size === 0 && this.globalPax.size === 0 && this.longName === null && this.longLink === null;
    const fast = plain ? plainEntryHeader(block) : undefined;
    if (fast) {
      this.member(fast);
      return;
    }
    const raw = decodeHeaderBlock(block);
    if (raw === null) {
      this.state = 'end';
      return;
    }
    if (raw.block.kind !== 'entry') {
      if (raw.size > MAX_META_RECORD) throw new TarFormatError('header record too large');
      const padded = raw.size + (raw.size % BLOCK_SIZE === 0 ? 0 : BLOCK_SIZE - (raw.size % BLOCK_SIZE));
      this.record = { kind: raw.block.kind, size: raw.size, data: Buffer.alloc(padded), fill: 0 };
      if (padded === 0) this.recordDone(raw.block.kind, this.record.data);
      else this.state = 'record';
      return;
    }
    const merged = this.globalPax.size > 0 ? new Map([...this.globalPax, ...this.pax]) : this.pax;
    const header = buildHeader(raw, merged, this.longName, this.longLink);
    this.pax = new Map();
    this.longName = null;
    this.longLink = null;
    this.member(header);
  }

  private member(header: MemberHeader): void {
    const node = this.ctx.addMember(header);
    this.remaining = header.size;
    this.padding = header.size % BLOCK_SIZE === 0 ? 0 : BLOCK_SIZE - (header.size % BLOCK_SIZE);
    this.file = undefined;
    if (node && node.type === 'file') {
      this.file = { node, hash: createHash('sha256'), chunks: undefined };
      if (this.ctx.keepInMemory(header.size)) node.chunks = this.file.chunks = [];
      else this.spillOps.push({ kind: 'open', node });
    }
    if (this.remaining > 0) this.state = 'body';
    else this.bodyDone();
  }

  private recordDone(kind: 'pax' | 'pax-global' | 'gnu-long-name' | 'gnu-long-link', body: Buffer): void {
    this.record = undefined;
    this.state = 'header';
    switch (kind) {
      case 'pax':
        this.pax = parsePaxRecords(body);
        break;
      case 'pax-global':
        this.globalPax = new Map([...this.globalPax, ...parsePaxRecords(body)]);
        break;
      case 'gnu-long-name':
        this.longName = nulTerminated(body);
        break;
      case 'gnu-long-link':
        this.longLink = nulTerminated(body);
        break;
    }
  }

  private bodyDone(): void {
    const file = this.file;
    if (file) {
      file.node.contentHash = file.hash.digest('hex');
      if (file.chunks) {
        // One piece (or none) needs no list.
        if (file.chunks.length <= 1) {
          file.node.data = file.chunks[0] ?? Buffer.alloc(0);
          file.node.chunks = undefined;
        }
      } else this.spillOps.push({ kind: 'close' });
      this.file = undefined;
    }
    this.state = this.padding > 0 ? 'padding' : 'header';
  }
}

/** What the context keeps of a member's header. */
type MemberHeader = Pick<TarHeader, 'name' | 'type' | 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'linkname'>;

const TYPE_BY_FLAG: Partial<Record<number, TarEntryType>> = {
  0x30: 'file', // '0'
  0x00: 'file',
  0x37: 'file', // '7', contiguous
  0x31: 'hardlink',
  0x32: 'symlink',
  0x33: 'char',
  0x34: 'block',
  0x35: 'directory',
  0x36: 'fifo',
};

/**
 * The header of an ordinary member (what the docker CLI sends: ustar or GNU
 * headers with octal numbers), decoded without intermediate strings;
 * undefined for anything else (PAX and GNU records, base-256 numbers, a
 * checksum that does not match as unsigned, the end-of-archive block),
 * which decodeHeaderBlock then decodes or rejects.
 */
function plainEntryHeader(block: Buffer): MemberHeader | undefined {
  let type = TYPE_BY_FLAG[block[156]!];
  if (type === undefined) return undefined;
  const stored = octalField(block, 148, 8);
  if (stored === undefined) return undefined;
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < BLOCK_SIZE; i++) sum += block[i]!;
  if (sum !== stored) return undefined;
  const mode = octalField(block, 100, 8);
  const uid = octalField(block, 108, 8);
  const gid = octalField(block, 116, 8);
  const size = octalField(block, 124, 12);
  const mtime = octalField(block, 136, 12);
  if (mode === undefined || uid === undefined || gid === undefined || size === undefined || mtime === undefined) return undefined;
  let name = cField(block, 0, 100);
  // POSIX ustar: a prefix extends the name (GNU's "ustar  " magic uses those bytes otherwise).
  if (block[257] === 0x75 && block.toString('latin1', 257, 263) === 'ustar\0') {
    const prefix = cField(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  // Old tars mark directories only with a trailing slash.
  if (type === 'file' && block[156] !== 0x37 && name.endsWith('/')) type = 'directory';
  return { name, type, mode: mode & 0o7777, uid, gid, size: type === 'file' ? size : 0, mtime, linkname: cField(block, 157, 100) };
}

/** An octal number field: optional leading spaces, digits, then only NULs or spaces; undefined otherwise. */
function octalField(block: Buffer, offset: number, length: number): number | undefined {
  const end = offset + length;
  let i = offset;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return undefined;
  return value;
}

function cField(block: Buffer, offset: number, length: number): string {
  if (block[offset] === 0) return '';
  const nul = block.indexOf(0, offset);
  return block.toString('utf8', offset, nul === -1 || nul > offset + length ? offset + length : nul);
}

function nulTerminated(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul === -1 ? data.length : nul);
}
