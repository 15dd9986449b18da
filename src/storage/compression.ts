// Layer blobs arrive gzip- or zstd-compressed or plain (OCI image spec,
// media-types.md: tar, tar+gzip, tar+zstd). The media type is not trusted:
// like docker's DecompressStream we look at the magic bytes.

import { pipeline } from 'node:stream';
import { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { invalidParameter } from '../common/errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2_MAGIC = [0x42, 0x5a, 0x68];

function startsWith(head: Buffer, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

export function detectCompression(head: Buffer): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (startsWith(head, XZ_MAGIC) || startsWith(head, BZIP2_MAGIC)) {
    throw invalidParameter('unsupported layer compression (xz or bzip2): only gzip, zstd and plain tar are supported');
  }
  return 'none';
}

async function* prepend(head: Buffer, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await rest.next();
      if (next.done) {
        finished = true;
        return;
      }
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  } finally {
    // Stopped early (an error downstream): let the input close (a file, a socket).
    if (!finished) await rest.return?.();
  }
}

/**
 * The uncompressed bytes of `input`, whatever its compression, as an async
 * iterable. `onDetect` learns which compression was found.
 */
export async function* decompressed(
  input: AsyncIterable<Uint8Array>,
  onDetect?: (compression: Compression) => void,
): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < 6) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    parts.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(parts);
  let compression: Compression;
  try {
    compression = detectCompression(head);
  } catch (err) {
    await iterator.return?.();
    throw err;
  }
  onDetect?.(compression);
  if (compression === 'none') {
    if (head.length > 0) yield head;
    if (!ended) yield* prepend(Buffer.alloc(0), iterator);
    return;
  }
  // Larger output chunks than zlib's 16 KiB default: fewer, bigger file writes, and
  // inflate runs ~1.5x faster at 256 KiB than at 64 KiB (fewer threadpool round trips).
  const decoder =
    compression === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : createZstdDecompress({ chunkSize: 256 * 1024 });
  const source = Readable.from(ended ? prepend(head, emptyIterator()) : prepend(head, iterator));
  // pipeline() destroys both sides on error; iterating the decoder rethrows it.
  const out = pipeline(source, decoder, () => {});
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } finally {
    source.destroy();
    decoder.destroy();
  }
}

function emptyIterator(): AsyncIterator<Uint8Array> {
  return { next: async () => ({ done: true, value: undefined }) };
}
