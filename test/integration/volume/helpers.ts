// Shared by the volume integration tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';

/** A berthd on a fresh temporary root (the helper passes --config-file, which must exist). */
export async function freshDaemon(): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-'));
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  return startDaemon({ dir });
}
