// Tar header blocks: ustar, GNU and v7 for reading; ustar plus PAX extended
// headers for writing (the format docker and containerd write layers in).
//
// Why our own codec rather than tar-stream's: tar-stream decodes and encodes
// PAX values as UTF-8 text, which corrupts binary xattr values such as
// `security.capability` (file capabilities, e.g. on `ping`); it cannot write a
// uid/gid above 262143 (no PAX uid/gid); and it does not let us see the raw
// header bytes, which we keep to reproduce a layer's tar byte for byte
// (tar-split, see ../tarsplit.ts).
//
// Reference: POSIX pax format (IEEE Std 1003.1, "pax"), GNU tar's format
// manual for 'L'/'K' long names, and the OCI layer spec
// (../../../../shared/specs/oci-image/layer.md) for which entry types a layer may hold.

export const BLOCK_SIZE = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

/** One archive member, after PAX and GNU long-name records were applied. */
export interface TarHeader {
  /** Path as stored in the archive (UTF-8), not yet cleaned. */
  name: string;
  type: TarEntryType;
  /** Permission bits plus setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Seconds since the epoch, fractional when a PAX record gave sub-second precision. */
  mtime: number;
  atime?: number;
  /** Hard link target (an archive path) or symlink target (verbatim). */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.<name>` PAX records, values raw. */
  xattrs: Map<string, Buffer>;
}

export function emptyHeader(name: string, type: TarEntryType): TarHeader {
  return {
    name,
    type,
    mode: type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: 0,
    mtime: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

export class TarFormatError extends Error {
  constructor(message: string) {
    super(`archive/tar: ${message}`);
    this.name = 'TarFormatError';
  }
}

const TYPE_BY_FLAG: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file: a regular file everywhere that matters
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

const FLAG_BY_TYPE: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

/** What a raw header block is, before the long-name/PAX records are folded in. */
export type RawBlockKind =
  | { kind: 'entry'; flag: string }
  | { kind: 'pax' }
  | { kind: 'pax-global' }
  | { kind: 'gnu-long-name' }
  | { kind: 'gnu-long-link' };

export interface RawHeader {
  block: RawBlockKind;
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function cString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** A numeric field: octal text (space/NUL padded) or GNU base-256 (high bit set). */
export function parseNumeric(block: Buffer, offset: number, length: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    // Base-256, big-endian two's complement; the marker bit is not part of the
    // value, and 0x40 in the first byte says the number is negative.
    const invert = first & 0x40 ? 0xff : 0;
    let value = 0n;
    for (let i = 0; i < length; i++) {
      let byte = block[offset + i]! ^ invert;
      if (i === 0) byte &= 0x7f;
      value = (value << 8n) | BigInt(byte);
    }
    if (invert) value = -value - 1n;
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new TarFormatError('numeric field out of range');
    }
    return Number(value);
  }
  let text = block.toString('latin1', offset, offset + length);
  const nul = text.indexOf('\0');
  if (nul !== -1) text = text.slice(0, nul);
  text = text.trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`invalid octal field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  const stored = parseNumeric(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Decodes one 512-byte header block; null for an all-zero block (end of archive). */
export function decodeHeaderBlock(block: Buffer): RawHeader | null {
  if (isZero(block)) return null;
  if (!checksumMatches(block)) throw new TarFormatError('invalid header (checksum mismatch)');
  const flag = String.fromCharCode(block[156]!);
  const magic = block.toString('latin1', 257, 263);
  let name = cString(block, 0, 100);
  if (magic === 'ustar\0') {
    // POSIX ustar: a prefix field extends the name. (GNU's "ustar  \0" magic
    // uses those bytes for other fields.)
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  let kind: RawBlockKind;
  switch (flag) {
    case 'x':
      kind = { kind: 'pax' };
      break;
    case 'g':
      kind = { kind: 'pax-global' };
      break;
    case 'L':
      kind = { kind: 'gnu-long-name' };
      break;
    case 'K':
      kind = { kind: 'gnu-long-link' };
      break;
    default:
      kind = { kind: 'entry', flag };
  }
  return {
    block: kind,
    name,
    mode: parseNumeric(block, 100, 8),
    uid: parseNumeric(block, 108, 8),
    gid: parseNumeric(block, 116, 8),
    size: parseNumeric(block, 124, 12),
    mtime: parseNumeric(block, 136, 12),
    linkname: cString(block, 157, 100),
    uname: magic.startsWith('ustar') ? cString(block, 265, 32) : '',
    gname: magic.startsWith('ustar') ? cString(block, 297, 32) : '',
    devmajor: magic.startsWith('ustar') ? parseNumeric(block, 329, 8) : 0,
    devminor: magic.startsWith('ustar') ? parseNumeric(block, 337, 8) : 0,
  };
}

/** Parses PAX records ("<len> <key>=<value>\n"); values stay raw bytes. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    // GNU tar pads the data of some PAX headers with NULs.
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space === -1) throw new TarFormatError('invalid PAX record');
    const lenText = data.toString('latin1', pos, space);
    if (!/^[0-9]+$/.test(lenText)) throw new TarFormatError('invalid PAX record length');
    const length = parseInt(lenText, 10);
    const end = pos + length;
    if (length <= space - pos + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw new TarFormatError('invalid PAX record');
    }
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= end) throw new TarFormatError('invalid PAX record');
    const key = data.toString('utf8', space + 1, eq);
    records.set(key, Buffer.from(data.subarray(eq + 1, end - 1)));
    pos = end;
  }
  return records;
}

function paxTime(value: Buffer): number {
  const text = value.toString('latin1');
  if (!/^-?[0-9]+(\.[0-9]*)?$/.test(text)) throw new TarFormatError(`invalid PAX time ${JSON.stringify(text)}`);
  return Number(text);
}

function paxInteger(value: Buffer, key: string): number {
  const text = value.toString('latin1');
  if (!/^[0-9]+$/.test(text)) throw new TarFormatError(`invalid PAX ${key} ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`PAX ${key} out of range`);
  return n;
}

/** Builds the member's header from its entry block plus the records that preceded it. */
export function buildHeader(
  raw: RawHeader,
  pax: Map<string, Buffer>,
  longName: string | null,
  longLink: string | null,
): TarHeader {
  if (raw.block.kind !== 'entry') throw new TarFormatError('not an entry header');
  const flag = raw.block.flag;
  let type = TYPE_BY_FLAG[flag];
  if (type === undefined) {
    if (flag === 'S') throw new TarFormatError('GNU sparse files are not supported');
    throw new TarFormatError(`unhandled tar header type ${JSON.stringify(flag)}`);
  }
  let name = longName ?? raw.name;
  let linkname = longLink ?? raw.linkname;
  // Old tars mark directories only with a trailing slash.
  if (type === 'file' && flag !== '7' && name.endsWith('/')) type = 'directory';
  const header: TarHeader = {
    name,
    type,
    mode: raw.mode & 0o7777,
    uid: raw.uid,
    gid: raw.gid,
    uname: raw.uname,
    gname: raw.gname,
    size: raw.size,
    mtime: raw.mtime,
    linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs: new Map(),
  };
  for (const [key, value] of pax) {
    switch (key) {
      case 'path':
        header.name = name = value.toString('utf8');
        break;
      case 'linkpath':
        header.linkname = linkname = value.toString('utf8');
        break;
      case 'size':
        header.size = paxInteger(value, key);
        break;
      case 'uid':
        header.uid = paxInteger(value, key);
        break;
      case 'gid':
        header.gid = paxInteger(value, key);
        break;
      case 'uname':
        header.uname = value.toString('utf8');
        break;
      case 'gname':
        header.gname = value.toString('utf8');
        break;
      case 'mtime':
        header.mtime = paxTime(value);
        break;
      case 'atime':
        header.atime = paxTime(value);
        break;
      default:
        if (key.startsWith('SCHILY.xattr.')) {
          header.xattrs.set(key.slice('SCHILY.xattr.'.length), value);
        } else if (key.startsWith('GNU.sparse.')) {
          throw new TarFormatError('GNU sparse files are not supported');
        }
      // Other records (ctime, comment, charset, LIBARCHIVE.*) carry nothing a layer needs.
    }
  }
  // Only regular files carry data: like Go's archive/tar, ignore the size
  // field of header-only types rather than reading a body for them.
  if (type !== 'file') header.size = 0;
  return header;
}

// ---- writing ----

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length-1 octal digits then a NUL, as POSIX ustar writers do.
  const text = Math.trunc(value).toString(8).padStart(length - 1, '0');
  block.write(text + '\0', offset, length, 'latin1');
}

function fitsOctal(value: number, length: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < 8 ** (length - 1);
}

function isAscii(value: string): boolean {
  return /^[\x01-\x7f]*$/.test(value);
}

/** Splits a long ASCII name into ustar's prefix (≤155) and name (≤100), or null. */
function splitUstarName(name: string): { prefix: string; name: string } | null {
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { prefix, name: rest };
    if (prefix.length <= 155 && rest.length > 100) return null;
  }
  return null;
}

function paxRecord(key: string, value: Buffer): Buffer {
  // "<len> <key>=<value>\n" where <len> counts its own digits.
  const body = 3 + Buffer.byteLength(key) + value.length; // ' ' '=' '\n'
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n')]);
}

function formatPaxTime(seconds: number): string {
  if (Number.isInteger(seconds)) return String(seconds);
  // Up to nanoseconds, no trailing zeros.
  return seconds.toFixed(9).replace(/0+$/, '');
}

function encodeUstarBlock(
  fields: {
    name: string;
    prefix: string;
    mode: number;
    uid: number;
    gid: number;
    size: number;
    mtime: number;
    flag: string;
    linkname: string;
    uname: string;
    gname: string;
    devmajor: number;
    devminor: number;
  },
): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime);
  block.write(fields.flag, 156, 1, 'latin1');
  writeString(block, 157, 100, fields.linkname);
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeString(block, 265, 32, fields.uname);
  writeString(block, 297, 32, fields.gname);
  writeOctal(block, 329, 8, fields.devmajor);
  writeOctal(block, 337, 8, fields.devminor);
  writeString(block, 345, 155, fields.prefix);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function padding(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}

export function paddingFor(size: number): Buffer {
  return Buffer.alloc(padding(size));
}

/**
 * Encodes a member's header: a PAX extended header first when a field does
 * not fit ustar (long or non-ASCII names, big ids or sizes, xattrs,
 * sub-second mtimes), then the ustar block.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: Array<[string, Buffer]> = [];
  let name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  let prefix = '';
  const split = isAscii(name) ? splitUstarName(name) : null;
  if (split === null) {
    pax.push(['path', Buffer.from(name, 'utf8')]);
    name = asciiTruncate(name, 100);
  } else {
    ({ name, prefix } = split);
  }
  let linkname = h.linkname;
  if (Buffer.byteLength(linkname) > 100 || !isAscii(linkname)) {
    pax.push(['linkpath', Buffer.from(linkname, 'utf8')]);
    linkname = asciiTruncate(linkname, 100);
  }
  const numeric = (key: string, value: number, length: number): number => {
    if (fitsOctal(value, length)) return value;
    pax.push([key, Buffer.from(String(value))]);
    return 0;
  };
  const uid = numeric('uid', h.uid, 8);
  const gid = numeric('gid', h.gid, 8);
  const size = numeric('size', h.size, 12);
  let mtime = Math.floor(h.mtime);
  if (!Number.isInteger(h.mtime) || !fitsOctal(mtime, 12)) {
    pax.push(['mtime', Buffer.from(formatPaxTime(h.mtime))]);
    if (!fitsOctal(mtime, 12)) mtime = 0;
  }
  if (h.atime !== undefined) pax.push(['atime', Buffer.from(formatPaxTime(h.atime))]);
  let uname = h.uname;
  let gname = h.gname;
  if (Buffer.byteLength(uname) > 32 || !isAscii(uname)) {
    pax.push(['uname', Buffer.from(uname, 'utf8')]);
    uname = '';
  }
  if (Buffer.byteLength(gname) > 32 || !isAscii(gname)) {
    pax.push(['gname', Buffer.from(gname, 'utf8')]);
    gname = '';
  }
  // Sorted, as Go's archive/tar writes them, so equal headers encode equally.
  for (const key of [...h.xattrs.keys()].sort()) pax.push([`SCHILY.xattr.${key}`, h.xattrs.get(key)!]);

  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const data = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
    const base = asciiTruncate(name.replace(/\/$/, '').split('/').pop() ?? '', 80);
    blocks.push(
      encodeUstarBlock({
        name: `PaxHeaders.0/${base}`,
        prefix: '',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: data.length,
        mtime: fitsOctal(mtime, 12) ? mtime : 0,
        flag: 'x',
        linkname: '',
        uname: '',
        gname: '',
        devmajor: 0,
        devminor: 0,
      }),
      data,
      paddingFor(data.length),
    );
  }
  blocks.push(
    encodeUstarBlock({
      name,
      prefix,
      mode: h.mode & 0o7777,
      uid,
      gid,
      size,
      mtime,
      flag: FLAG_BY_TYPE[h.type],
      linkname,
      uname,
      gname,
      devmajor: fitsOctal(h.devmajor, 8) ? h.devmajor : 0,
      devminor: fitsOctal(h.devminor, 8) ? h.devminor : 0,
    }),
  );
  return Buffer.concat(blocks);
}

function asciiTruncate(value: string, bytes: number): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[^\x01-\x7f]/g, '_').slice(0, bytes);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK_SIZE);
