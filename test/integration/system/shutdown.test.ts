// SIGTERM stops berthd cleanly even while clients hold long streams open
// (docker events, logs -f): those connections are cut after a short grace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { TestDaemon } from '../../helpers/daemon.js';
import { freshDaemon } from '../image/helpers.js';

describe('daemon shutdown', () => {
  let d: TestDaemon;
  before(async () => {
    d = await freshDaemon();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('completes with an events stream open', async () => {
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, path: '/events', method: 'GET' }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', () => undefined);
        res.on('end', resolve);
        res.on('error', () => resolve());
        res.on('close', resolve);
      });
      req.on('error', (err) => reject(err));
      req.end();
    });
    // Let the stream be established.
    await new Promise((r) => setTimeout(r, 300));
    // stop() sends SIGTERM and only falls back to SIGKILL after 15 s.
    await d.stop();
    await streamEnded;
    assert.match(d.logText, /Daemon shutdown complete/);
  });
});
