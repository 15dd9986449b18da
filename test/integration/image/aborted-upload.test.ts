// A client that hangs up in the middle of an upload (import, load, build)
// costs the daemon nothing: it keeps serving, lists no partial image and
// leaves no half-written blob in the ingest directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon } from './helpers.js';

/** Send the request head and part of a chunked body, then reset the connection. */
async function hangUpMidUpload(socket: string, target: string, contentType: string): Promise<void> {
  const conn = net.connect(socket);
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', reject);
  });
  conn.on('error', () => undefined);
  conn.write(`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  // A tar header's worth of plausible bytes, then some noise: the daemon is mid-read when the client goes.
  const header = Buffer.alloc(512);
  header.write('file.txt', 0);
  header.write('0000644\0', 100);
  header.write('00000100000\0', 124);
  const body = Buffer.concat([header, randomBytes(64 * 1024)]);
  conn.write(`${body.length.toString(16)}\r\n`);
  conn.write(body);
  conn.write('\r\n');
  await new Promise((r) => setTimeout(r, 200));
  conn.destroy();
  await new Promise((r) => setTimeout(r, 300));
}

describe('uploads cut short by the client', () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => {
    await d?.cleanup();
  });

  for (const [what, target, type] of [
    ['import', '/images/create?fromSrc=-&repo=cut', 'application/x-tar'],
    ['load', '/images/load?quiet=1', 'application/x-tar'],
    ['build', '/build?t=cut', 'application/x-tar'],
  ] as const) {
    it(`${what}: the daemon keeps serving and keeps nothing`, async () => {
      await hangUpMidUpload(d.socket, target, type);
      const ping = await d.api('GET', '/_ping');
      assert.equal(ping.status, 200, `berthd died:\n${d.logText.slice(-2000)}`);
      const images = await d.api('GET', '/images/json?all=1');
      assert.deepEqual(images.json, []);
      const ingest = path.join(d.dataRoot, 'content', 'ingest');
      let left: string[] = [];
      for (let i = 0; i < 20; i++) {
        left = readdirSync(ingest);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(left, []);
    });
  }
});
