// The build context as the daemon receives it: a tar (plain or gzip) read
// once, as it arrives. Every member is kept in memory (file bodies spill to
// a temporary directory past a budget) and every regular file is hashed while
// its bytes stream in, so COPY's cache key needs no second pass and a fully
// cached build never writes the context to disk.
//
// Content hashes leave out mtimes (as docker's tarsum does): `touch` does
// not invalidate a COPY; a changed byte, mode, owner or link target does.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { invalidParameter } from '../../common/errors.js';
import { decompressed } from '../../storage/compression.js';
import { TarReader } from '../../storage/tar/reader.js';
import { cleanPath, PatternMatcher, parseIgnoreFile } from '../dockerignore.js';

export type SourceType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One file of a source tree (the context or another stage's root filesystem). */
export interface SourceNode {
  /** Slash-separated path relative to the tree's root, no leading `./`; '' is the root. */
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
  /** Content in memory... */
  data?: Buffer;
  /** ...or in a file on the host. */
  hostPath?: string;
  /** sha256 of the content (files), '' when not computed yet. */
  contentHash: string;
}

/** Memory the context may take before file bodies go to the spill directory. */
const MEMORY_BUDGET = 512 * 1024 * 1024;

/** Normalises a tar member name to a context-relative path ('' for the root); undefined if it escapes. */
export function contextRel(name: string): string | undefined {
  const cleaned = cleanPath('/' + name).slice(1);
  if (cleaned.split('/').includes('..')) return undefined;
  return cleaned;
}

export class BuildContext {
  private readonly nodes = new Map<string, SourceNode>();
  private readonly childrenOf = new Map<string, Set<string>>();
  private memoryUsed = 0;
  private spillDir: string | undefined;
  private spillCount = 0;
  /** Bytes received (the tar as sent, after decompression). */
  received = 0;

  private constructor(private readonly tmpRoot: string) {
    this.nodes.set('', { rel: '', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0, linkname: '', contentHash: '' });
  }

  /** Reads a context tar; tmpRoot is where bodies spill when the context is large. */
  static async receive(input: AsyncIterable<Uint8Array>, tmpRoot: string): Promise<BuildContext> {
    const ctx = new BuildContext(tmpRoot);
    try {
      await ctx.read(input);
    } catch (err) {
      await ctx.dispose();
      if (err instanceof Error && !('kind' in err)) throw invalidParameter(`Error processing tar file: ${err.message}`, err);
      throw err;
    }
    return ctx;
  }

  private async read(input: AsyncIterable<Uint8Array>): Promise<void> {
    const counted = async function* (this: BuildContext): AsyncGenerator<Uint8Array> {
      for await (const chunk of decompressed(input)) {
        this.received += chunk.byteLength;
        yield chunk;
      }
      // The docker CLI's stream for a Dockerfile from outside the context
      // (its .dockerignore rewrite comes last) ends without the last
      // member's padding and the end-of-archive blocks; dockerd accepts it.
      // Zeros complete both; after a proper end marker they are ignored.
      yield Buffer.alloc(512 + 1024);
    }.call(this);
    const reader = new TarReader(counted);
    for (let h = await reader.next(); h; h = await reader.next()) {
      const rel = contextRel(h.name);
      if (rel === undefined || rel === '') {
        await reader.skipBody();
        continue;
      }
      const type: SourceType =
        h.type === 'file' ? 'file' : h.type === 'directory' ? 'directory' : h.type === 'symlink' ? 'symlink' : h.type === 'hardlink' ? 'hardlink' : 'other';
      const node: SourceNode = {
        rel,
        type,
        mode: h.mode & 0o7777,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime,
        size: type === 'file' ? h.size : 0,
        linkname: type === 'hardlink' ? (contextRel(h.linkname) ?? '') : h.linkname,
        contentHash: '',
      };
      if (type === 'file') {
        const hash = createHash('sha256');
        if (this.memoryUsed + h.size <= MEMORY_BUDGET) {
          const chunks: Buffer[] = [];
          for await (const chunk of reader.body()) {
            hash.update(chunk);
            chunks.push(chunk);
          }
          node.data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          this.memoryUsed += h.size;
        } else {
          this.spillDir ??= await fs.mkdtemp(path.join(this.tmpRoot, 'context-'));
          const file = path.join(this.spillDir, String(this.spillCount++));
          const handle = await fs.open(file, 'w', 0o600);
          try {
            for await (const chunk of reader.body()) {
              hash.update(chunk);
              await handle.write(chunk);
            }
          } finally {
            await handle.close();
          }
          node.hostPath = file;
        }
        node.contentHash = hash.digest('hex');
      }
      this.add(node);
    }
  }

  private add(node: SourceNode): void {
    // Parents the tar did not list exist implicitly (docker creates them 0755).
    const parent = path.posix.dirname(node.rel) === '.' ? '' : path.posix.dirname(node.rel);
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
  }

  private removeTree(rel: string): void {
    for (const child of this.childrenOf.get(rel) ?? []) this.removeTree(child);
    this.childrenOf.delete(rel);
    const node = this.nodes.get(rel);
    if (node?.data) this.memoryUsed -= node.data.length;
    this.nodes.delete(rel);
    const parent = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    this.childrenOf.get(parent)?.delete(rel);
  }

  get(rel: string): SourceNode | undefined {
    return this.nodes.get(rel);
  }

  /** Direct children, sorted by name (byte order, as Go walks). */
  children(rel: string): SourceNode[] {
    const names = [...(this.childrenOf.get(rel) ?? [])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return names.map((n) => this.nodes.get(n)!);
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
    if (node.data) return node.data;
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
    if (this.spillDir) await fs.rm(this.spillDir, { recursive: true, force: true });
  }
}
