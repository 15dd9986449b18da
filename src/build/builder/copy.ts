// COPY and ADD: resolve sources (globs, directories, heredocs) in a source
// tree, compute the content hash that names them in the step's cache key
// (`file:<hex>`, `dir:<hex>`, `multi:<hex>` as docker's legacy builder
// writes it in history), and write them into a mounted root filesystem.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { invalidParameter, notFound } from '../../common/errors.js';
import { decompressed } from '../../storage/compression.js';
import { TarReader } from '../../storage/tar/reader.js';
import { emptyHeader, type TarHeader } from '../../storage/tar/header.js';
import type { TarMember } from '../../storage/tar/writer.js';
import { PatternMatcher } from '../dockerignore.js';
import { cleanPath } from '../../common/go-path.js';
import { nodeData, type SourceNode, type SourceType } from './context.js';

/** What COPY reads from: the build context, or another stage's (or image's) root filesystem. */
export interface SourceTree {
  get(rel: string): Promise<SourceNode | undefined>;
  children(rel: string): Promise<SourceNode[]>;
  /** children(), synchronously, for a tree held in memory (the context): hashing it takes no await per file. */
  childrenSync?(rel: string): SourceNode[];
}

/** A source tree over a host directory (a mounted image root filesystem). */
export class HostTree implements SourceTree {
  constructor(readonly root: string) {}
  async get(rel: string): Promise<SourceNode | undefined> {
    const host = path.join(this.root, rel);
    let st;
    try {
      st = await fs.lstat(host);
    } catch {
      return undefined;
    }
    const type: SourceType = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
    return {
      rel,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtimeMs / 1000,
      size: type === 'file' ? st.size : 0,
      linkname: type === 'symlink' ? await fs.readlink(host) : '',
      hostPath: host,
      contentHash: '',
    };
  }
  async children(rel: string): Promise<SourceNode[]> {
    const names = (await fs.readdir(path.join(this.root, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const out: SourceNode[] = [];
    for (const n of names) {
      const node = await this.get(rel ? `${rel}/${n}` : n);
      if (node) out.push(node);
    }
    return out;
  }
}

/** Adapts the (synchronous, in-memory) build context. */
export function contextTree(ctx: { get(rel: string): SourceNode | undefined; children(rel: string): SourceNode[] }): SourceTree {
  return { get: async (rel) => ctx.get(rel), children: async (rel) => ctx.children(rel), childrenSync: (rel) => ctx.children(rel) };
}

/** A file's content hash from memory; undefined when it would need reading from the host. */
function contentHashInMemory(node: SourceNode): string | undefined {
  if (node.type !== 'file') return '';
  if (node.contentHash) return node.contentHash;
  if (!node.data && !node.chunks) return node.hostPath ? undefined : (node.contentHash = createHash('sha256').digest('hex'));
  const hash = createHash('sha256');
  for (const chunk of node.data ? [node.data] : node.chunks!) hash.update(chunk);
  return (node.contentHash = hash.digest('hex'));
}

async function contentHashOf(node: SourceNode): Promise<string> {
  if (node.type !== 'file') return '';
  if (node.contentHash) return node.contentHash;
  const hash = createHash('sha256');
  if (node.data) hash.update(node.data);
  else if (node.chunks) for (const chunk of node.chunks) hash.update(chunk);
  else if (node.hostPath) hash.update(await fs.readFile(node.hostPath));
  node.contentHash = hash.digest('hex');
  return node.contentHash;
}

/** Go's filepath.Match as a regular expression (`*` and `?` stay within one component). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw invalidParameter('syntax error in pattern');
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export const hasWildcards = (p: string): boolean => /[*?[]/.test(p);

/** One resolved source: a node of a tree and the path it keeps below the destination. */
export interface ResolvedSource {
  tree: SourceTree;
  node: SourceNode;
  /** For --parents: the source's directory path kept under the destination; '' otherwise. */
  keepPath: string;
}

/** A file made from a heredoc (`COPY <<EOF /dest`). */
export interface InlineSource {
  name: string;
  data: Buffer;
}

/**
 * Resolves COPY/ADD sources in a tree with docker's rules: paths relative
 * to the tree root (`..` cannot leave it), wildcards matched per component,
 * missing sources are errors with docker's message.
 */
export async function resolveSources(tree: SourceTree, sources: string[], opts: { parents: boolean; cmd: string }): Promise<ResolvedSource[]> {
  const out: ResolvedSource[] = [];
  for (const src of sources) {
    let rel = cleanPath('/' + src).slice(1);
    if (rel === '.') rel = '';
    if (hasWildcards(rel)) {
      const re = globToRegExp(rel);
      const depth = rel.split('/').length;
      const matches: SourceNode[] = [];
      const visit = async (dir: string, level: number): Promise<void> => {
        for (const child of await tree.children(dir)) {
          if (level === depth) {
            if (re.test(child.rel)) matches.push(child);
          } else if (child.type === 'directory') await visit(child.rel, level + 1);
        }
      };
      await visit('', 1);
      if (matches.length === 0) throw notFound(`${opts.cmd} failed: no source files were specified`);
      for (const m of matches) out.push({ tree, node: m, keepPath: opts.parents ? parentOf(m.rel) : '' });
      continue;
    }
    const node = await tree.get(rel);
    if (!node) {
      throw notFound(`${opts.cmd} failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);
    }
    out.push({ tree, node, keepPath: opts.parents ? parentOf(rel) : '' });
  }
  return out;
}

function parentOf(rel: string): string {
  const d = path.posix.dirname(rel);
  return d === '.' ? '' : d;
}

/**
 * The hash naming the sources in the step's history and cache key:
 * `file:<hex>` for one file, `dir:<hex>` for one directory, `multi:<hex>`
 * for several. Covers names (below each source), types, modes, owners, link
 * targets and contents; never mtimes.
 */
export async function sourcesHash(sources: ResolvedSource[], inline: InlineSource[], excludes: string[]): Promise<string> {
  const parts: Array<{ kind: 'file' | 'dir'; hex: string }> = [];
  const matcher = excludes.length ? new PatternMatcher(excludes) : undefined;
  for (const src of sources) {
    const hash = createHash('sha256');
    const line = (node: SourceNode, rel: string, content: string): string =>
      `${rel}\0${node.type}\0${node.mode.toString(8)}\0${node.uid}:${node.gid}\0${node.linkname}\0${content}\n`;
    const add = async (node: SourceNode, rel: string): Promise<void> => {
      hash.update(line(node, rel, await contentHashOf(node)));
    };
    const inMemory = src.node.type === 'directory' ? directoryLinesInMemory(src.tree, src.node, matcher, line) : undefined;
    if (inMemory !== undefined) {
      // The same bytes as the walk below, in one update.
      hash.update(inMemory);
      parts.push({ kind: 'dir', hex: hash.digest('hex') });
    } else if (src.node.type === 'directory') {
      const walk = async (dir: SourceNode, prefix: string): Promise<void> => {
        for (const child of await src.tree.children(dir.rel)) {
          const rel = prefix ? `${prefix}/${basename(child.rel)}` : basename(child.rel);
          if (matcher?.matchesOrParentMatches(rel)) continue;
          await add(child, rel);
          if (child.type === 'directory') await walk(child, rel);
        }
      };
      await add(src.node, '.');
      await walk(src.node, '');
      parts.push({ kind: 'dir', hex: hash.digest('hex') });
    } else {
      await add(src.node, basename(src.node.rel));
      parts.push({ kind: 'file', hex: hash.digest('hex') });
    }
  }
  for (const f of inline) {
    parts.push({ kind: 'file', hex: createHash('sha256').update(`${f.name}\0`).update(f.data).digest('hex') });
  }
  if (parts.length === 1) return `${parts[0]!.kind}:${parts[0]!.hex}`;
  const multi = createHash('sha256');
  for (const p of parts) multi.update(`${p.kind}:${p.hex}\n`);
  return `multi:${multi.digest('hex')}`;
}

const basename = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

/**
 * A directory's hash input (its own line, then every node below it, depth
 * first in name order) built without awaiting, for a tree in memory;
 * undefined when a file would have to be read from the host.
 */
function directoryLinesInMemory(
  tree: SourceTree,
  dir: SourceNode,
  matcher: PatternMatcher | undefined,
  line: (node: SourceNode, rel: string, content: string) => string,
): string | undefined {
  if (!tree.childrenSync) return undefined;
  const children = tree.childrenSync.bind(tree);
  const lines: string[] = [line(dir, '.', '')];
  const walk = (parent: SourceNode, prefix: string): boolean => {
    for (const child of children(parent.rel)) {
      const rel = prefix ? `${prefix}/${basename(child.rel)}` : basename(child.rel);
      if (matcher?.matchesOrParentMatches(rel)) continue;
      const content = contentHashInMemory(child);
      if (content === undefined) return false;
      lines.push(line(child, rel, content));
      if (child.type === 'directory' && !walk(child, rel)) return false;
    }
    return true;
  };
  return walk(dir, '') ? lines.join('') : undefined;
}

// ---------------------------------------------------------------------------
// Writing into a root filesystem

/**
 * Resolves a path inside root as the container would see it: symlinks are
 * followed but never lead outside root. Missing components are returned as
 * they are (they will be created).
 */
export async function resolveInRoot(root: string, containerPath: string): Promise<string> {
  const parts = cleanPath('/' + containerPath).split('/').filter(Boolean);
  let current = '/';
  let hops = 0;
  while (parts.length) {
    const part = parts.shift()!;
    const next = path.posix.join(current, part);
    let st;
    try {
      st = await fs.lstat(path.join(root, next));
    } catch {
      return path.join(root, next, ...parts);
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw invalidParameter(`too many links in ${containerPath}`);
      const target = await fs.readlink(path.join(root, next));
      const joined = target.startsWith('/') ? target : path.posix.join(current, target);
      parts.unshift(...cleanPath(joined).split('/').filter(Boolean));
      current = '/';
      continue;
    }
    current = next;
  }
  return path.join(root, current);
}

export interface Identity {
  uid: number;
  gid: number;
}

/** Resolves `--chown=user:group` against the root filesystem's /etc/passwd and /etc/group. */
export async function resolveChown(root: string, spec: string): Promise<Identity | undefined> {
  if (spec === '') return undefined;
  const [userPart = '', groupPart] = spec.split(':');
  const readDb = async (file: string): Promise<string[][]> => {
    try {
      return (await fs.readFile(await resolveInRoot(root, file), 'utf8')).split('\n').map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  const lookup = async (name: string, file: string, kind: 'user' | 'group'): Promise<{ id: number; gid?: number }> => {
    if (/^\d+$/.test(name)) {
      if (kind === 'user') {
        const entry = (await readDb('/etc/passwd')).find((f) => f[2] === name);
        return { id: Number(name), ...(entry ? { gid: Number(entry[3]) } : {}) };
      }
      return { id: Number(name) };
    }
    const entry = (await readDb(file)).find((f) => f[0] === name);
    if (!entry) throw invalidParameter(`unable to convert uid/gid chown string to host mapping: can't find ${kind === 'user' ? 'uid' : 'gid'} for ${kind} ${name}: no such ${kind}: ${name}`);
    return { id: Number(entry[2]), ...(kind === 'user' ? { gid: Number(entry[3]) } : {}) };
  };
  const user = await lookup(userPart, '/etc/passwd', 'user');
  if (groupPart === undefined || groupPart === '') return { uid: user.id, gid: /^\d+$/.test(userPart) ? user.id : (user.gid ?? user.id) };
  const group = await lookup(groupPart, '/etc/group', 'group');
  return { uid: user.id, gid: group.id };
}

/** `--chmod=0755` (octal only, as the classic builder's successor accepts it). */
export function parseChmod(spec: string): number | undefined {
  if (spec === '') return undefined;
  if (!/^[0-7]{1,4}$/.test(spec)) throw invalidParameter(`invalid chmod parameter: ${spec}`);
  return parseInt(spec, 8);
}

async function mkdirAll(hostDir: string, root: string, owner: Identity): Promise<void> {
  const missing: string[] = [];
  let dir = hostDir;
  while (dir.length > root.length) {
    try {
      const st = await fs.stat(dir);
      if (!st.isDirectory()) throw invalidParameter(`cannot copy to non-directory: ${dir.slice(root.length) || '/'}`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(dir);
      dir = path.dirname(dir);
    }
  }
  for (const d of missing) {
    await fs.mkdir(d, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await fs.chmod(d, 0o755);
    await fs.chown(d, owner.uid, owner.gid);
  }
}

export interface CopyOptions {
  /** Destination as given, already joined with WORKDIR (absolute, container path). */
  dest: string;
  /** The destination as written ended with `/` (or is `.`-like): it is a directory. */
  destIsDir: boolean;
  owner: Identity;
  /** Keep the source owners (COPY --from without --chown keeps them? no: docker resets to 0:0); here: explicit override. */
  chmod?: number;
  excludes: string[];
  /** ADD: local tar archives are extracted into the destination. */
  extractArchives: boolean;
}

/**
 * Writes the sources into root (a mounted writable layer) with docker's
 * COPY semantics: a directory's contents go into the destination, a file
 * goes to `dest/name` when the destination is (or must be) a directory,
 * else to `dest` itself.
 */
export async function copyInto(root: string, sources: ResolvedSource[], inline: InlineSource[], opts: CopyOptions, cmd: string): Promise<void> {
  const count = sources.length + inline.length;
  const destIsDir = opts.destIsDir || count > 1;
  if (count > 1 && !opts.destIsDir) {
    throw invalidParameter(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destHost = await resolveInRoot(root, opts.dest);
  const matcher = opts.excludes.length ? new PatternMatcher(opts.excludes) : undefined;
  const destIsExistingDir = await fs.stat(destHost).then((s) => s.isDirectory(), () => false);
  const ownerOf = (): Identity => opts.owner;

  const writeNode = async (tree: SourceTree, node: SourceNode, target: string): Promise<void> => {
    const owner = ownerOf();
    const mode = opts.chmod ?? node.mode;
    const existing = await fs.lstat(target).catch(() => undefined);
    if (node.type === 'directory') {
      if (existing && !existing.isDirectory()) await fs.rm(target, { recursive: true, force: true });
      if (!existing || !existing.isDirectory()) await fs.mkdir(target, { mode: 0o700 });
      await fs.chmod(target, mode);
      await fs.chown(target, owner.uid, owner.gid);
      return;
    }
    if (existing) await fs.rm(target, { recursive: true, force: true });
    if (node.type === 'file') {
      const content = node.data ?? node.chunks;
      if (content) await fs.writeFile(target, content, { mode: 0o600 });
      else if (node.hostPath) await fs.copyFile(node.hostPath, target);
      else await fs.writeFile(target, '');
      await fs.chown(target, owner.uid, owner.gid);
      await fs.chmod(target, mode);
      await fs.utimes(target, node.mtime, node.mtime);
    } else if (node.type === 'symlink') {
      await fs.symlink(node.linkname, target);
      await fs.lchown(target, owner.uid, owner.gid);
    } else if (node.type === 'hardlink') {
      // Hard links inside the context: copy the target's content.
      const linked = await tree.get(node.linkname);
      if (linked && linked.type === 'file') await writeNode(tree, linked, target);
    }
  };

  const copyTree = async (tree: SourceTree, dir: SourceNode, targetDir: string, relBase: string): Promise<void> => {
    for (const child of await tree.children(dir.rel)) {
      const rel = relBase ? `${relBase}/${basename(child.rel)}` : basename(child.rel);
      if (matcher?.matchesOrParentMatches(rel)) continue;
      const target = path.join(targetDir, basename(child.rel));
      await writeNode(tree, child, target);
      if (child.type === 'directory') {
        await copyTree(tree, child, target, rel);
        await fs.utimes(target, child.mtime, child.mtime);
      }
    }
  };

  for (const src of sources) {
    const { node, tree } = src;
    const base = src.keepPath ? path.join(destHost, src.keepPath) : destHost;
    if (node.type === 'directory') {
      await mkdirAll(base, root, opts.owner);
      if (src.keepPath) {
        const target = path.join(base, basename(node.rel));
        await mkdirAll(target, root, opts.owner);
        await copyTree(tree, node, target, '');
      } else await copyTree(tree, node, base, '');
      continue;
    }
    if (opts.extractArchives && node.type === 'file' && (await isArchive(node))) {
      await mkdirAll(base, root, opts.owner);
      await extractArchive(node, base);
      continue;
    }
    const intoDir = destIsDir || destIsExistingDir || src.keepPath !== '';
    const target = intoDir ? path.join(base, basename(node.rel)) : base;
    await mkdirAll(path.dirname(target), root, opts.owner);
    await writeNode(tree, node, target);
  }
  for (const f of inline) {
    const target = destIsDir || destIsExistingDir ? path.join(destHost, f.name) : destHost;
    await mkdirAll(path.dirname(target), root, opts.owner);
    const node: SourceNode = { rel: f.name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: Date.now() / 1000, size: f.data.length, linkname: '', data: f.data, contentHash: '' };
    await writeNode({ get: async () => undefined, children: async () => [] }, node, target);
  }
}

async function headOf(node: SourceNode, n: number): Promise<Buffer> {
  const data = nodeData(node);
  if (data) return data.subarray(0, n);
  if (!node.hostPath) return Buffer.alloc(0);
  const h = await fs.open(node.hostPath, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await h.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/** A local tar, plain or compressed (what ADD extracts). */
async function isArchive(node: SourceNode): Promise<boolean> {
  const head = await headOf(node, 512);
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return true;
  return head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

async function* nodeBytes(node: SourceNode): AsyncGenerator<Uint8Array> {
  if (node.data) yield node.data;
  else if (node.chunks) yield* node.chunks;
  else if (node.hostPath) for await (const chunk of (await fs.open(node.hostPath)).createReadStream()) yield chunk as Buffer;
}

/** ADD's archive extraction: members land below dest, owners and modes as in the archive. */
async function extractArchive(node: SourceNode, dest: string): Promise<void> {
  const reader = new TarReader(decompressed(nodeBytes(node)));
  for (let h = await reader.next(); h; h = await reader.next()) {
    const rel = cleanPath('/' + h.name).slice(1);
    if (rel === '' || rel.split('/').includes('..')) continue;
    const target = path.join(dest, rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const existing = await fs.lstat(target).catch(() => undefined);
    if (h.type === 'directory') {
      if (existing && !existing.isDirectory()) await fs.rm(target, { force: true });
      await fs.mkdir(target, { recursive: true });
      await fs.chmod(target, h.mode & 0o7777);
    } else {
      if (existing) await fs.rm(target, { recursive: true, force: true });
      if (h.type === 'file') {
        const handle = await fs.open(target, 'w', 0o600);
        try {
          for await (const chunk of reader.body()) await handle.write(chunk);
        } finally {
          await handle.close();
        }
        await fs.chmod(target, h.mode & 0o7777);
      } else if (h.type === 'symlink') await fs.symlink(h.linkname, target);
      else if (h.type === 'hardlink') await fs.link(path.join(dest, cleanPath('/' + h.linkname).slice(1)), target);
      else continue;
    }
    await fs.lchown(target, h.uid, h.gid).catch(() => undefined);
    if (h.type !== 'symlink') await fs.utimes(target, h.mtime, h.mtime).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------
// COPY as a layer tar, without writing the files twice

/**
 * The members of the layer a COPY makes, computed against the parent's
 * root filesystem (mounted at root, only read): the files go straight into
 * the layer store's extraction instead of into a writable layer first and
 * then through a diff. Returns undefined when a source would replace
 * something of another type in the parent (a file over a directory) or an
 * ADD archive needs extracting: the caller then copies into a writable
 * layer, whose diff handles those.
 */
export async function copyAsLayer(root: string, sources: ResolvedSource[], inline: InlineSource[], opts: CopyOptions, cmd: string): Promise<TarMember[] | undefined> {
  const count = sources.length + inline.length;
  if (count > 1 && !opts.destIsDir) {
    throw invalidParameter(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destIsDir = opts.destIsDir || count > 1;
  const destHost = await resolveInRoot(root, opts.dest);
  const destRel = path.relative(root, destHost);
  if (destRel.startsWith('..')) return undefined;
  const matcher = opts.excludes.length ? new PatternMatcher(opts.excludes) : undefined;
  const members: TarMember[] = [];
  const planned = new Set<string>();
  const existing = async (rel: string): Promise<'dir' | 'other' | undefined> => {
    const st = await fs.lstat(path.join(root, rel)).catch(() => undefined);
    if (!st) return undefined;
    return st.isDirectory() ? 'dir' : 'other';
  };
  const header = (rel: string, type: TarHeader['type'], mode: number, mtime: number, size = 0, linkname = ''): TarHeader => ({
    ...emptyHeader(type === 'directory' ? `${rel}/` : rel, type),
    mode,
    uid: opts.owner.uid,
    gid: opts.owner.gid,
    mtime,
    size,
    linkname,
  });
  /** Directories up to rel that the parent lacks are created 0755 with the owner, as mkdirAll does. */
  const ensureParents = async (rel: string): Promise<boolean> => {
    const parts = rel.split('/').filter(Boolean);
    let cur = '';
    for (const part of parts) {
      cur = cur ? `${cur}/${part}` : part;
      if (planned.has(cur)) continue;
      const kind = await existing(cur);
      if (kind === 'other') return false;
      if (kind === undefined) members.push({ header: header(cur, 'directory', 0o755, Date.now() / 1000) });
      planned.add(cur);
    }
    return true;
  };
  const addNode = async (tree: SourceTree, node: SourceNode, rel: string): Promise<boolean> => {
    const kind = planned.has(rel) ? undefined : await existing(rel);
    const mode = opts.chmod ?? node.mode;
    if (node.type === 'directory') {
      if (kind === 'other') return false;
      members.push({ header: header(rel, 'directory', mode, node.mtime) });
      planned.add(rel);
      return true;
    }
    if (kind === 'dir') return false;
    let file = node;
    if (node.type === 'hardlink') {
      const linked = await tree.get(node.linkname);
      if (!linked || linked.type !== 'file') return true;
      file = linked;
    }
    if (file.type === 'file') {
      members.push({ header: header(rel, 'file', mode, file.mtime, file.size), body: file.data ?? (file.chunks ? pieces(file.chunks) : file.hostPath ? fileChunks(file.hostPath) : Buffer.alloc(0)) });
    } else if (file.type === 'symlink') {
      members.push({ header: header(rel, 'symlink', 0o777, file.mtime, 0, file.linkname) });
    }
    planned.add(rel);
    return true;
  };
  const addTree = async (tree: SourceTree, dir: SourceNode, targetRel: string, relBase: string): Promise<boolean> => {
    for (const child of await tree.children(dir.rel)) {
      const rel = relBase ? `${relBase}/${basename(child.rel)}` : basename(child.rel);
      if (matcher?.matchesOrParentMatches(rel)) continue;
      const target = `${targetRel}/${basename(child.rel)}`.replace(/^\//, '');
      if (!(await addNode(tree, child, target))) return false;
      if (child.type === 'directory' && !(await addTree(tree, child, target, rel))) return false;
    }
    return true;
  };
  const destIsExistingDir = (await existing(destRel)) === 'dir';
  for (const src of sources) {
    const { node, tree } = src;
    const base = src.keepPath ? path.posix.join(destRel, src.keepPath) : destRel;
    if (node.type === 'directory') {
      const target = src.keepPath ? path.posix.join(base, basename(node.rel)) : base;
      if (!(await ensureParents(target))) return undefined;
      if (!(await addTree(tree, node, target, ''))) return undefined;
      continue;
    }
    if (opts.extractArchives && node.type === 'file' && (await isArchive(node))) return undefined;
    const intoDir = destIsDir || destIsExistingDir || src.keepPath !== '';
    const target = intoDir ? path.posix.join(base, basename(node.rel)) : base;
    if (!(await ensureParents(path.posix.dirname(target) === '.' ? '' : path.posix.dirname(target)))) return undefined;
    if (!(await addNode(tree, node, target))) return undefined;
  }
  for (const f of inline) {
    const target = destIsDir || destIsExistingDir ? path.posix.join(destRel, f.name) : destRel;
    if (!(await ensureParents(path.posix.dirname(target) === '.' ? '' : path.posix.dirname(target)))) return undefined;
    const node: SourceNode = { rel: f.name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: Date.now() / 1000, size: f.data.length, linkname: '', data: f.data, contentHash: '' };
    if (!(await addNode({ get: async () => undefined, children: async () => [] }, node, target))) return undefined;
  }
  return members;
}

async function* pieces(chunks: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream()) yield chunk as Buffer;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
