// A container's files from outside: docker diff (changes), docker export,
// docker cp (GET/HEAD/PUT /containers/{id}/archive) and docker commit.
//
// Paths inside the container are untrusted: every lookup resolves symlinks as
// if the container's root were "/" (resolveInRoot), so a hostile link cannot
// make the daemon read or write outside the container. Paths under a bind or
// volume mount resolve inside that mount's source, as the container sees them.
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { conflict, errnoCode, forbidden, invalidParameter, notFound } from '../common/errors.js';
import { formatRfc3339Nano } from '../common/time.js';
import { walkTree, memberFor, type HardlinkIndex } from '../storage/diff.js';
import { TarReader } from '../storage/tar/reader.js';
import { tarBytes, type TarMember } from '../storage/tar/writer.js';
import { applyChanges } from '../image/changes.js';
import type { ImageConfig } from '../image/types.js';
import type { ContainerConfig } from '../common/container-config.js';
import type { ContainerRecord } from './model.js';
import type { ContainerService } from './service.js';
import { resolveInRoot } from '../common/root-path.js';

/** docker's PathStat, sent base64-encoded in X-Docker-Container-Path-Stat. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go's os.FileMode type bits.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;

function goFileMode(st: import('node:fs').Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += MODE_DIR;
  else if (st.isSymbolicLink()) m += MODE_SYMLINK;
  else if (st.isBlockDevice()) m += MODE_DEVICE;
  else if (st.isCharacterDevice()) m += MODE_DEVICE + MODE_CHAR_DEVICE;
  else if (st.isFIFO()) m += MODE_NAMED_PIPE;
  else if (st.isSocket()) m += MODE_SOCKET;
  if (st.mode & 0o4000) m += MODE_SETUID;
  if (st.mode & 0o2000) m += MODE_SETGID;
  if (st.mode & 0o1000) m += MODE_STICKY;
  return m;
}

interface Located {
  /** The root this path lives under (the rootfs or a mount's source). */
  root: string;
  /** Path relative to that root (container view, below the mount point). */
  inner: string;
  /** Whether writes are refused (read-only rootfs or mount). */
  readOnly: boolean;
}

/**
 * The container path with the symlinks of its directories resolved inside
 * the container's root (the last component is kept as it is), so that a link
 * leading into a mount point finds the mount.
 */
async function resolveContainerPath(rootfs: string, containerPath: string): Promise<string> {
  const clean = path.posix.normalize(`/${containerPath}`);
  if (clean === '/') return '/';
  const parent = await resolveInRoot(rootfs, path.posix.dirname(clean));
  const rel = path.relative(rootfs, parent);
  return path.posix.join('/', rel.split(path.sep).join('/'), path.posix.basename(clean));
}

/** The container path as the daemon can reach it: rootfs or the bind/volume mounted there. */
function locate(rec: ContainerRecord, rootfs: string, containerPath: string): Located {
  const clean = path.posix.normalize(`/${containerPath}`);
  const binds: Array<{ dest: string; source: string; ro: boolean }> = [];
  for (const m of rec.MountPoints) if (m.Type === 'bind' && m.Source) binds.push({ dest: m.Destination, source: m.Source, ro: !m.RW });
  for (const [dest, source] of [['/etc/hosts', rec.HostsPath], ['/etc/hostname', rec.HostnamePath], ['/etc/resolv.conf', rec.ResolvConfPath]] as const) {
    if (source && !binds.some((b) => b.dest === dest)) binds.push({ dest, source, ro: !!rec.HostConfig.ReadonlyRootfs });
  }
  binds.sort((a, b) => b.dest.length - a.dest.length);
  for (const b of binds) {
    if (clean === b.dest || clean.startsWith(`${b.dest}/`)) {
      return { root: b.source, inner: clean.slice(b.dest.length) || '/', readOnly: b.ro };
    }
  }
  return { root: rootfs, inner: clean, readOnly: !!rec.HostConfig.ReadonlyRootfs };
}

/** Resolve within a root; a file bind (root is a file) maps "/" to itself. */
async function hostPathOf(loc: Located, followLast: boolean): Promise<string> {
  const st = await fs.stat(loc.root).catch(() => undefined);
  if (st && !st.isDirectory()) {
    if (loc.inner !== '/') throw notFound(`no such file or directory`);
    return loc.root;
  }
  if (followLast) return resolveInRoot(loc.root, loc.inner);
  const parent = await resolveInRoot(loc.root, path.posix.dirname(loc.inner));
  const base = path.posix.basename(loc.inner);
  return base === '' || base === '/' ? parent : path.join(parent, base);
}


export class ContainerFiles {
  constructor(private readonly containers: ContainerService) {}

  /** GET /containers/{id}/changes: [{Path, Kind}] with Kind 0 changed, 1 added, 2 deleted. */
  async changes(idOrName: string): Promise<Array<{ Path: string; Kind: number }> | null> {
    const rec = this.containers.record(idOrName);
    const list = await this.containers.layers.rwChanges(rec.ID);
    const code = { C: 0, A: 1, D: 2 } as const;
    return list.length ? list.map((c) => ({ Path: c.path, Kind: code[c.kind] })) : null;
  }

  private async withRootfs<T>(idOrName: string, fn: (rec: ContainerRecord, rootfs: string) => Promise<T>): Promise<T> {
    const m = await this.containers.mountRootfs(idOrName);
    try {
      return await fn(m.rec, m.rootfs);
    } finally {
      await m.release();
    }
  }

  /** GET /containers/{id}/export: the container's filesystem as a tar. */
  async export(idOrName: string): Promise<Readable> {
    const m = await this.containers.mountRootfs(idOrName);
    const rootfs = m.rootfs;
    async function* members(): AsyncGenerator<TarMember> {
      const links: HardlinkIndex = new Map();
      try {
        for await (const { rel, stats } of walkTree(rootfs)) {
          const member = await memberFor(rootfs, rel, stats, links);
          if (member) yield member;
        }
      } finally {
        await m.release();
      }
    }
    return Readable.from(tarBytes(members()), { objectMode: false });
  }

  /** HEAD /containers/{id}/archive. */
  async stat(idOrName: string, containerPath: string): Promise<PathStat> {
    return this.withRootfs(idOrName, async (rec, rootfs) => this.statAt(rec, rootfs, containerPath));
  }

  private async statAt(rec: ContainerRecord, rootfs: string, containerPath: string): Promise<PathStat> {
    const loc = locate(rec, rootfs, await resolveContainerPath(rootfs, containerPath));
    const host = await hostPathOf(loc, false);
    let st;
    try {
      st = await fs.lstat(host);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw notFound(`Could not find the file ${containerPath} in container ${rec.Name.replace(/^\//, '')}`);
      throw err;
    }
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const resolved = await resolveInRoot(loc.root, loc.inner);
      const rel = path.relative(loc.root, resolved);
      linkTarget = `/${rel}`;
    }
    return {
      name: path.posix.basename(path.posix.normalize(`/${containerPath}`)) || '/',
      size: st.size,
      mode: goFileMode(st),
      mtime: formatRfc3339Nano(BigInt(Math.trunc(st.mtimeMs)) * 1_000_000n),
      linkTarget,
    };
  }

  /** GET /containers/{id}/archive: the stat and a tar whose top entry is named after the path's base. */
  async get(idOrName: string, containerPath: string): Promise<{ stat: PathStat; tar: Readable }> {
    const m = await this.containers.mountRootfs(idOrName);
    try {
      const rec = m.rec;
      const stat = await this.statAt(rec, m.rootfs, containerPath);
      const loc = locate(rec, m.rootfs, await resolveContainerPath(m.rootfs, containerPath));
      const source = await hostPathOf(loc, true);
      const st = await fs.lstat(source);
      const cleanBase = path.posix.basename(path.posix.normalize(`/${containerPath}`));
      const topName = containerPath.endsWith('/.') ? '.' : cleanBase || '.';
      const release = (): Promise<void> => m.release();
      async function* members(): AsyncGenerator<TarMember> {
        const links: HardlinkIndex = new Map();
        try {
          const big = await fs.lstat(source, { bigint: true });
          const top = await memberFor(path.dirname(source), path.basename(source), big, links);
          if (top) {
            top.header.name = st.isDirectory() ? `${topName}/` : topName;
            yield top;
          }
          if (st.isDirectory()) {
            for await (const { rel, stats } of walkTree(source)) {
              const member = await memberFor(source, rel, stats, links);
              if (!member) continue;
              member.header.name = `${topName}/${rel}${stats.isDirectory() ? '/' : ''}`;
              if (member.header.type === 'hardlink') member.header.linkname = `${topName}/${member.header.linkname}`;
              yield member;
            }
          }
        } finally {
          await release();
        }
      }
      return { stat, tar: Readable.from(tarBytes(members()), { objectMode: false }) };
    } catch (err) {
      await m.release();
      throw err;
    }
  }

  /** PUT /containers/{id}/archive: extract a tar into a directory of the container. */
  async put(idOrName: string, containerPath: string, body: AsyncIterable<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    await this.withRootfs(idOrName, async (rec, rootfs) => {
      const loc = locate(rec, rootfs, await resolveContainerPath(rootfs, containerPath));
      if (loc.readOnly) throw forbidden('container rootfs is marked read-only');
      const dest = await hostPathOf(loc, true);
      const st = await fs.stat(dest).catch(() => undefined);
      if (!st) throw notFound(`Could not find the file ${containerPath} in container ${rec.Name.replace(/^\//, '')}`);
      if (!st.isDirectory()) throw invalidParameter('extraction point is not a directory');
      await extractInto(dest, body, opts);
    });
  }

  /** POST /commit: the writable layer as a new image on the container's image. */
  async commit(
    idOrName: string,
    opts: { repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config?: ContainerConfig },
  ): Promise<{ Id: string }> {
    const rec = this.containers.record(idOrName);
    if (rec.State.RemovalInProgress) throw conflict(`cannot commit container ${rec.ID}: container is being removed`);
    const pause = opts.pause && rec.State.Running && !rec.State.Paused;
    if (pause) await this.containers.pause(rec.ID);
    try {
      const image = this.containers.images.resolveForContainer(rec.Image);
      const base = structuredClone(rec.Config);
      let config: ContainerConfig = { ...base, ...(opts.config ?? {}) };
      if (opts.changes.length) config = applyChanges(config, opts.changes);
      const parent = image.config;
      const now = formatRfc3339Nano(BigInt(Date.now()) * 1_000_000n);
      const created = now;
      const history = [...(parent.history ?? [])];
      history.push({
        created,
        created_by: [...(rec.Config.Cmd ?? [])].join(' ') || rec.Path,
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
      const imageConfig: ImageConfig = {
        architecture: parent.architecture,
        os: parent.os,
        ...(parent.variant ? { variant: parent.variant } : {}),
        created,
        ...(opts.author ? { author: opts.author } : {}),
        config: stripRuntimeFields(config),
        container: rec.ID,
        container_config: stripRuntimeFields(rec.Config),
        ...(opts.comment ? { comment: opts.comment } : {}),
        history,
        rootfs: { type: 'layers', diff_ids: [] },
      };
      const diff = await this.containers.layers.rwDiffTar(rec.ID);
      const tags = opts.repo ? [`${opts.repo}${opts.tag ? `:${opts.tag}` : ''}`] : [];
      const img = await this.containers.images.commit({ config: imageConfig, parentImageId: image.id, newLayers: [diff], setParent: true, tags });
      this.containers.emit(rec, 'commit', { comment: opts.comment ?? '', imageID: img.id, imageRef: tags[0] ?? '' });
      return { Id: img.id };
    } finally {
      if (pause) await this.containers.unpause(rec.ID).catch(() => undefined);
    }
  }
}

function stripRuntimeFields(c: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = { ...c };
  for (const k of Object.keys(out)) if (out[k] === null || out[k] === undefined) delete out[k];
  return out as ContainerConfig;
}

/** Extract a docker cp tar below `dest`, every member kept inside it. */
async function extractInto(dest: string, body: AsyncIterable<Uint8Array>, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
  const reader = new TarReader(body);
  const dirTimes: Array<{ p: string; t: number }> = [];
  for (let h = await reader.next(); h; h = await reader.next()) {
    const rel = path.posix.normalize(`/${h.name}`).slice(1).replace(/\/$/, '');
    if (rel === '' || rel === '.') continue;
    if (h.name.split('/').includes('..') && path.posix.normalize(h.name).startsWith('..')) {
      throw invalidParameter(`invalid tar member name ${JSON.stringify(h.name)}`);
    }
    const parent = await resolveInRoot(dest, path.posix.dirname(rel));
    await fs.mkdir(parent, { recursive: true });
    const target = path.join(parent, path.posix.basename(rel));
    const existing = await fs.lstat(target).catch(() => undefined);
    if (existing) {
      if (opts.noOverwriteDirNonDir && existing.isDirectory() !== (h.type === 'directory')) {
        throw invalidParameter(`cannot overwrite ${existing.isDirectory() ? 'directory' : 'non-directory'} "${'/' + rel}" with ${existing.isDirectory() ? 'non-directory' : 'directory'} "${h.name}"`);
      }
      if (!(existing.isDirectory() && h.type === 'directory')) await fs.rm(target, { recursive: true, force: true });
    }
    switch (h.type) {
      case 'directory':
        await fs.mkdir(target, { recursive: true, mode: h.mode });
        dirTimes.push({ p: target, t: h.mtime });
        break;
      case 'file': {
        const fh = await fs.open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, h.mode & 0o7777);
        try {
          for await (const chunk of reader.body()) await fh.write(chunk);
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink':
        await fs.symlink(h.linkname, target);
        break;
      case 'hardlink': {
        const linkRel = path.posix.normalize(`/${h.linkname}`).slice(1);
        const src = await resolveInRoot(dest, linkRel);
        if (!src.startsWith(dest)) throw invalidParameter(`invalid hardlink ${h.linkname}`);
        await fs.link(src, target);
        break;
      }
      case 'fifo':
      case 'char':
      case 'block': {
        const { mknod } = await import('../common/syscalls.js');
        const type = h.type === 'fifo' ? fsConstants.S_IFIFO : h.type === 'char' ? fsConstants.S_IFCHR : fsConstants.S_IFBLK;
        mknod(target, type | (h.mode & 0o7777), h.devmajor, h.devminor);
        break;
      }
    }
    const uid = opts.copyUIDGID ? h.uid : 0;
    const gid = opts.copyUIDGID ? h.gid : 0;
    await fs.lchown(target, uid, gid).catch(() => undefined);
    if (h.type !== 'symlink') {
      if (h.type !== 'directory') await fs.chmod(target, h.mode & 0o7777).catch(() => undefined);
      await fs.utimes(target, h.mtime, h.mtime).catch(() => undefined);
    }
  }
  for (const d of dirTimes.reverse()) await fs.utimes(d.p, d.t, d.t).catch(() => undefined);
}
