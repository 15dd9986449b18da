// Tar headers laid out byte for byte as Go's archive/tar Writer lays them out
// for the headers moby's pkg/archive makes (Format PAX requested, which lets
// the writer use plain USTAR whenever the fields fit): octal fields
// zero-padded with a trailing NUL, the checksum as six digits, NUL, space,
// and a PAX extended header ("PaxHeaders.0/<name>") only for what USTAR
// cannot hold. Used for the build context the CLI sends, so the daemon sees
// what the docker CLI would have sent.

export const BLOCK_SIZE = 512;

export const TYPE_REG = 0x30; // '0'
export const TYPE_LINK = 0x31; // '1'
export const TYPE_SYMLINK = 0x32; // '2'
export const TYPE_CHAR = 0x33; // '3'
export const TYPE_BLOCK = 0x34; // '4'
export const TYPE_DIR = 0x35; // '5'
export const TYPE_FIFO = 0x36; // '6'
const TYPE_PAX = 0x78; // 'x'

export interface TarHeader {
  name: string;
  /** Permission bits plus setuid/setgid/sticky (no file-type bits, as Go's FileInfoHeader). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  typeflag: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

// Field offsets and sizes of the USTAR block.
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = 257;
const UNAME = [265, 32] as const;
const GNAME = [297, 32] as const;
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;

function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Go's toASCII: drops non-ASCII characters (best effort for names in PAX headers' blocks). */
function toASCII(s: string): string {
  if (isASCII(s)) return s;
  let out = '';
  for (const ch of s) if (ch.charCodeAt(0) < 0x80) out += ch;
  return out;
}

function fitsInOctal(field: number, value: number): boolean {
  return value >= 0 && value < 8 ** (field - 1);
}

/** formatter.formatString: copy, NUL-terminate when room is left (truncate when not). */
function putString(block: Buffer, offset: number, size: number, s: string): void {
  const written = block.write(s, offset, size, 'latin1');
  if (written < size) block[offset + written] = 0;
}

/** formatter.formatOctal: zero-padded octal with a trailing NUL. */
function putOctal(block: Buffer, offset: number, size: number, value: number): void {
  let s = Math.max(0, Math.trunc(value)).toString(8);
  if (s.length < size - 1) s = '0'.repeat(size - 1 - s.length) + s;
  putString(block, offset, size, s);
}

/** Go's splitUSTARPath: a long ASCII name split into prefix and name fields. */
function splitUSTARPath(name: string): { prefix: string; suffix: string } | undefined {
  let length = name.length;
  if (length <= NAME[1] || !isASCII(name)) return undefined;
  if (length > PREFIX[1] + 1) length = PREFIX[1] + 1;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME[1] || nlen === 0 || i > PREFIX[1]) return undefined;
  return { prefix: name.slice(0, i), suffix: name.slice(i + 1) };
}

/** Go's formatPAXRecord: "<len> key=value\n", len counting itself. */
function paxRecord(key: string, value: string): string {
  const body = Buffer.byteLength(key) + Buffer.byteLength(value) + 3;
  let size = body + String(body).length;
  let record = `${size} ${key}=${value}\n`;
  if (Buffer.byteLength(record) !== size) {
    size = Buffer.byteLength(record);
    record = `${size} ${key}=${value}\n`;
  }
  return record;
}

function checksum(block: Buffer, offset: number): void {
  block.fill(0x20, offset + CHKSUM[0], offset + CHKSUM[0] + CHKSUM[1]);
  let sum = 0;
  for (let i = offset; i < offset + BLOCK_SIZE; i++) sum += block[i]!;
  let s = sum.toString(8);
  if (s.length < 6) s = '0'.repeat(6 - s.length) + s;
  block.write(s, offset + CHKSUM[0], 6, 'latin1');
  block[offset + CHKSUM[0] + 6] = 0;
  block[offset + CHKSUM[0] + 7] = 0x20;
}

/** Fills one 512-byte header block at `offset` (the block must be zeroed). */
function fillBlock(
  block: Buffer,
  offset: number,
  h: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; typeflag: number; linkname: string; devmajor: number; devminor: number; prefix: string },
): void {
  putString(block, offset + NAME[0], NAME[1], h.name);
  putOctal(block, offset + MODE[0], MODE[1], h.mode);
  putOctal(block, offset + UID[0], UID[1], h.uid);
  putOctal(block, offset + GID[0], GID[1], h.gid);
  putOctal(block, offset + SIZE[0], SIZE[1], fitsInOctal(SIZE[1], h.size) ? h.size : 0);
  putOctal(block, offset + MTIME[0], MTIME[1], fitsInOctal(MTIME[1], h.mtime) ? h.mtime : 0);
  block[offset + TYPEFLAG] = h.typeflag;
  putString(block, offset + LINKNAME[0], LINKNAME[1], h.linkname);
  block.write('ustar\x0000', offset + MAGIC, 8, 'latin1');
  putString(block, offset + UNAME[0], UNAME[1], '');
  putString(block, offset + GNAME[0], GNAME[1], '');
  // Go's writeRawFile (the PAX extended header) leaves the device fields empty
  if (h.typeflag !== TYPE_PAX) {
    putOctal(block, offset + DEVMAJOR[0], DEVMAJOR[1], h.devmajor);
    putOctal(block, offset + DEVMINOR[0], DEVMINOR[1], h.devminor);
  }
  if (h.prefix !== '') putString(block, offset + PREFIX[0], PREFIX[1], h.prefix);
  checksum(block, offset);
}

/** Bytes the header for `h` takes (512, or more with a PAX extended header). */
export function headerSize(h: TarHeader): number {
  const pax = paxRecords(h);
  if (pax === '') return BLOCK_SIZE;
  return BLOCK_SIZE * 2 + paddedSize(Buffer.byteLength(pax));
}

/** Size rounded up to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

// The PAX records Go's writer emits for a header (sorted by key), or ''.
function paxRecords(h: TarHeader): string {
  const records: [string, string][] = [];
  const linkname = h.linkname ?? '';
  if (linkname.length > LINKNAME[1] || !isASCII(linkname)) records.push(['linkpath', linkname]);
  if (!fitsInOctal(MTIME[1], h.mtime)) records.push(['mtime', String(h.mtime)]);
  const nameFits = h.name.length <= NAME[1] && isASCII(h.name);
  if (!nameFits && (records.length > 0 || !fitsInOctal(SIZE[1], h.size) || splitUSTARPath(h.name) === undefined)) {
    records.push(['path', h.name]);
  }
  if (!fitsInOctal(SIZE[1], h.size)) records.push(['size', String(h.size)]);
  if (records.length === 0) return '';
  records.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return records.map(([k, v]) => paxRecord(k, v)).join('');
}

/**
 * Writes the header for `h` into `out` at `offset` (the range must be
 * zeroed, headerSize(h) bytes long); returns the bytes written.
 */
export function writeHeader(out: Buffer, offset: number, h: TarHeader): number {
  const pax = paxRecords(h);
  const linkname = h.linkname ?? '';
  const devmajor = h.devmajor ?? 0;
  const devminor = h.devminor ?? 0;
  if (pax === '') {
    // USTAR: the name as is, or split into prefix and name.
    const split = h.name.length > NAME[1] ? splitUSTARPath(h.name) : undefined;
    fillBlock(out, offset, {
      ...h,
      name: split ? split.suffix : h.name,
      prefix: split ? split.prefix : '',
      linkname,
      devmajor,
      devminor,
    });
    return BLOCK_SIZE;
  }
  // PAX: the extended header file, its records, then the main header with ASCII-only fields.
  const slash = h.name.lastIndexOf('/', h.name.length - 1);
  const dir = slash >= 0 ? h.name.slice(0, slash + 1) : '';
  const file = slash >= 0 ? h.name.slice(slash + 1) : h.name;
  let paxName = toASCII(cleanJoin(dir, 'PaxHeaders.0', file));
  if (paxName.length > NAME[1]) paxName = paxName.slice(0, NAME[1]);
  paxName = paxName.replace(/\/+$/, '');
  const data = Buffer.from(pax, 'utf8');
  fillBlock(out, offset, { name: paxName, mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0, typeflag: TYPE_PAX, linkname: '', devmajor: 0, devminor: 0, prefix: '' });
  data.copy(out, offset + BLOCK_SIZE);
  const mainOffset = offset + BLOCK_SIZE + paddedSize(data.length);
  fillBlock(out, mainOffset, {
    ...h,
    name: toASCII(h.name).slice(0, NAME[1]),
    prefix: '',
    linkname: toASCII(linkname).slice(0, LINKNAME[1]),
    devmajor,
    devminor,
  });
  return mainOffset + BLOCK_SIZE - offset;
}

// Go's path.Join for the PaxHeaders name (dir may end in '/', file may be empty).
function cleanJoin(...parts: string[]): string {
  const segments: string[] = [];
  for (const part of parts) for (const s of part.split('/')) if (s !== '' && s !== '.') segments.push(s);
  return segments.join('/');
}

/** One header as a new buffer. */
export function encodeHeader(h: TarHeader): Buffer {
  const out = Buffer.alloc(headerSize(h));
  writeHeader(out, 0, h);
  return out;
}
