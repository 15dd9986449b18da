// Writes a tar archive from a sequence of members, as a byte stream with
// backpressure (Readable.from over an async generator).

import { Readable } from 'node:stream';
import { END_OF_ARCHIVE, TarFormatError, encodeHeader, paddingFor } from './header.js';
import type { TarHeader } from './header.js';

export interface TarMember {
  header: TarHeader;
  /** Data of a regular file; exactly header.size bytes. */
  body?: AsyncIterable<Uint8Array> | Uint8Array;
}

export async function* tarBytes(members: AsyncIterable<TarMember> | Iterable<TarMember>): AsyncGenerator<Buffer> {
  for await (const member of members) {
    const { header } = member;
    const size = header.type === 'file' ? header.size : 0;
    yield encodeHeader({ ...header, size });
    let written = 0;
    if (member.body !== undefined && size > 0) {
      if (member.body instanceof Uint8Array) {
        written = member.body.byteLength;
        if (written !== size) throw new TarFormatError(`${header.name}: wrote ${written} bytes, header says ${size}`);
        yield Buffer.from(member.body.buffer, member.body.byteOffset, member.body.byteLength);
      } else {
        for await (const chunk of member.body) {
          written += chunk.byteLength;
          if (written > size) throw new TarFormatError(`${header.name}: file grew while it was archived`);
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
      }
    }
    if (written !== size) throw new TarFormatError(`${header.name}: file shrank while it was archived`);
    if (size % 512 !== 0) yield paddingFor(size);
  }
  yield END_OF_ARCHIVE;
}

/** A tar archive of `members` as a Readable stream. */
export function tarStream(members: AsyncIterable<TarMember> | Iterable<TarMember>): Readable {
  return Readable.from(tarBytes(members), { objectMode: false });
}
