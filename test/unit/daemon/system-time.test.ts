// /info's SystemTime as Go's time.RFC3339Nano writes local time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const systemModule = fileURLToPath(new URL('../../../src/daemon/system.js', import.meta.url));

function formatIn(tz: string, iso: string): string {
  const script = `import(${JSON.stringify(systemModule)}).then((m) => process.stdout.write(m.localIsoTime(new Date(${JSON.stringify(iso)}))))`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('SystemTime', () => {
  it('writes Z for UTC and trims the fraction as RFC3339Nano does', () => {
    assert.equal(formatIn('UTC', '2026-11-23T10:39:46.970Z'), '2026-11-23T10:39:46.97Z');
    assert.equal(formatIn('UTC', '2026-11-23T10:39:46.000Z'), '2026-11-23T10:39:46Z');
  });
  it('writes the local offset elsewhere', () => {
    assert.equal(formatIn('Asia/Kolkata', '2026-11-23T10:39:46.123Z'), '2026-11-23T16:09:46.123+05:30');
    assert.equal(formatIn('America/New_York', '2026-11-23T10:39:46.5Z'), '2026-11-23T05:39:46.5-05:00');
  });
});
