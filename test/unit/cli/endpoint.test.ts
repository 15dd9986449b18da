// How the CLI reports an endpoint it cannot work out, in docker 28's words
// (recorded from /usr/local/bin/docker 28.2.2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveEndpoint } from '../../../src/cli/client/contexts.js';

describe('endpoint errors', () => {
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-endpoint-'));
  const base = { hosts: [] as string[], tls: false, tlsVerify: false, configDir };
  it('--host with --context', () => {
    assert.throws(() => resolveEndpoint({ ...base, hosts: ['unix:///a'], context: 'default' }), { message: 'conflicting options: cannot specify both --host and --context' });
  });
  it('two -H', () => {
    assert.throws(() => resolveEndpoint({ ...base, hosts: ['unix:///a', 'unix:///b'] }), { message: 'Failed to initialize: unable to resolve docker endpoint: Specify only one -H' });
  });
  it('an unknown context', () => {
    const meta = path.join(configDir, 'contexts/meta/9e62f93eb7d2499903ac66232f187c56fc050eb74c765f90eb214360b21f0e96/meta.json');
    assert.throws(() => resolveEndpoint({ ...base, context: 'nosuch' }), {
      message: `Failed to initialize: unable to resolve docker endpoint: context "nosuch": context not found: open ${meta}: no such file or directory`,
    });
    rmSync(configDir, { recursive: true, force: true });
  });
});
