// The built-in base image: `busybox:latest` made from the host's static
// busybox (Debian's busybox-static, /bin/busybox), since no public registry
// is reachable. The rootfs mirrors docker's official busybox image: the
// binary, every applet as a hard link at the path `busybox --list-full`
// gives, /etc/passwd and /etc/group with the same accounts, /tmp 1777,
// /root 0700, the usual mount-point directories; `CMD ["sh"]` and docker's
// PATH.
//
// Deterministic: entries sorted, owners 0:0, one fixed mtime, fixed config
// fields, so the same busybox binary always gives the same diff ID and the
// same image ID.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { invalidParameter } from '../common/errors.js';
import type { ImageConfig } from './types.js';

export const DEFAULT_BUSYBOX_PATH = '/bin/busybox';
/** docker's busybox image PATH. */
export const BUSYBOX_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** One fixed timestamp for every entry and the config's `created` (keeps IDs stable). */
export const BUSYBOX_EPOCH = new Date('2024-01-01T00:00:00Z');

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'bin:x:2:2:bin:/bin:/bin/false',
  'sys:x:3:3:sys:/dev:/bin/false',
  'sync:x:4:100:sync:/bin:/bin/sync',
  'mail:x:8:8:mail:/var/spool/mail:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'operator:x:37:37:Operator:/var:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
].join('\n') + '\n';

const GROUP = [
  'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:', 'lp:x:7:',
  'mail:x:8:', 'kmem:x:9:', 'wheel:x:10:root', 'cdrom:x:11:', 'dialout:x:18:', 'floppy:x:19:',
  'video:x:28:', 'audio:x:29:', 'tape:x:32:', 'www-data:x:33:', 'operator:x:37:', 'utmp:x:43:',
  'plugdev:x:46:', 'staff:x:50:', 'lock:x:54:', 'netdev:x:82:', 'users:x:100:', 'nobody:x:65534:',
].join('\n') + '\n';

const DIRECTORIES: Array<[string, number]> = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o755], ['root', 0o700],
  ['sbin', 0o755], ['sys', 0o755], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
  ['var', 0o755], ['var/spool', 0o755], ['var/spool/mail', 0o755], ['var/www', 0o755],
];

export interface BusyboxLayer {
  /** The uncompressed layer tar. */
  tar: Buffer;
  /** gzip of the tar (what is stored and pushed). */
  gzip: Buffer;
  diffId: string;
  /** The image config JSON; its sha256 is the image ID. */
  rawConfig: Buffer;
  config: ImageConfig;
  version: string;
}

async function applets(binary: string): Promise<{ paths: string[]; version: string }> {
  const run = promisify(execFile);
  const list = await run(binary, ['--list-full'], { maxBuffer: 1 << 20 }).catch((err: unknown) => {
    throw invalidParameter(`cannot run ${binary} --list-full: ${err instanceof Error ? err.message : String(err)} (install the busybox-static package)`);
  });
  const banner = await run(binary, [], { maxBuffer: 1 << 20 }).then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
  const version = /BusyBox v([0-9][^ ]*)/.exec(banner)?.[1] ?? 'unknown';
  const paths = list.stdout
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((p) => p !== '' && p.includes('/') && p !== 'bin/busybox' && !p.includes('..'));
  return { paths: [...new Set(paths)].sort(), version };
}

function goArch(): string {
  switch (process.arch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'arm64': return 'arm64';
    case 'arm': return 'arm';
    case 'ppc64': return 'ppc64le';
    case 's390x': return 's390x';
    case 'riscv64': return 'riscv64';
    default: return process.arch;
  }
}

/** Build the busybox layer and config from a static busybox binary. */
export async function buildBusyboxImage(binary = DEFAULT_BUSYBOX_PATH): Promise<BusyboxLayer> {
  const stat = await fs.stat(binary).catch(() => undefined);
  if (!stat?.isFile()) throw invalidParameter(`${binary} not found: install the busybox-static package`);
  const body = await fs.readFile(binary);
  const { paths, version } = await applets(binary);

  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const common = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: BUSYBOX_EPOCH };
  const entries: Array<{ name: string; add: () => void }> = [];
  for (const [dir, mode] of DIRECTORIES) {
    entries.push({ name: `${dir}/`, add: () => pack.entry({ ...common, name: `${dir}/`, type: 'directory', mode }) });
  }
  entries.push({ name: 'bin/busybox', add: () => pack.entry({ ...common, name: 'bin/busybox', type: 'file', mode: 0o755, size: body.length }, body) });
  entries.push({ name: 'etc/group', add: () => pack.entry({ ...common, name: 'etc/group', type: 'file', mode: 0o644 }, GROUP) });
  entries.push({ name: 'etc/passwd', add: () => pack.entry({ ...common, name: 'etc/passwd', type: 'file', mode: 0o644 }, PASSWD) });
  const dirNames = new Set(DIRECTORIES.map(([d]) => d));
  const links = paths.filter((p) => dirNames.has(p.slice(0, p.lastIndexOf('/'))));
  for (const p of links) {
    entries.push({ name: p, add: () => pack.entry({ ...common, name: p, type: 'link', linkname: 'bin/busybox', mode: 0o755 }) });
  }
  // Directories first (so a hard link's directory exists), then files and links by name; the
  // binary before any link to it.
  const rank = (n: string): number => (n.endsWith('/') ? 0 : n === 'bin/busybox' ? 1 : 2);
  entries.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) e.add();
  pack.finalize();
  await ended;
  const tarBuf = Buffer.concat(chunks);
  const diffId = 'sha256:' + createHash('sha256').update(tarBuf).digest('hex');
  const created = BUSYBOX_EPOCH.toISOString().replace('.000Z', 'Z');
  const config: ImageConfig = {
    architecture: goArch(),
    config: {
      Env: [BUSYBOX_PATH_ENV],
      Cmd: ['sh'],
    },
    created,
    history: [
      { created, created_by: `berth: ADD busybox ${version} (${binary}, static) in /` },
      { created, created_by: 'berth: CMD ["sh"]', empty_layer: true },
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [diffId] },
  };
  const rawConfig = Buffer.from(JSON.stringify(config));
  return { tar: tarBuf, gzip: gzipSync(tarBuf, { level: 6 }), diffId, rawConfig, config, version };
}
