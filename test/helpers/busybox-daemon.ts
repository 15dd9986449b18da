// A berthd (test/helpers/daemon.ts) with the built-in busybox image already
// in its store: what the build tests and the benchmarks start from.
import { mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from './daemon.js';

export interface BusyboxDaemonOptions {
  /** Extra berthd flags. */
  args?: string[];
  /** Load busybox (default true); false gives the same daemon with an empty store. */
  busybox?: boolean;
}

/**
 * Starts a berthd on a fresh `<tmpdir>/<prefix>-XXXXXX` with an empty
 * daemon.json and loads busybox into it. On failure nothing is left behind.
 */
export async function startBusyboxDaemon(prefix: string, opts: BusyboxDaemonOptions = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const daemon = await startDaemon({ dir, args: opts.args ?? [] });
  if (opts.busybox === false) return daemon;
  const res = await daemon.api('POST', '/berth/images/busybox').catch((err: unknown) => ({ status: 0, text: String(err) }));
  if (res.status >= 200 && res.status < 300) return daemon;
  await daemon.cleanup().catch(() => undefined);
  throw new Error(`loading busybox: ${res.status} ${res.text}`);
}

/** A busybox berthd plus an empty directory for build contexts. */
export interface BuildSetup {
  daemon: TestDaemon;
  /** `<tmpdir>/<prefix>-ctx-XXXXXX`, removed by cleanup(). */
  work: string;
  /** Stops the daemon, removes what it made and the work directory. */
  cleanup(): Promise<void>;
}

export async function startBuildSetup(prefix: string): Promise<BuildSetup> {
  const daemon = await startBusyboxDaemon(prefix);
  let work: string;
  try {
    work = mkdtempSync(path.join(os.tmpdir(), `${prefix}-ctx-`));
  } catch (err) {
    await daemon.cleanup().catch(() => undefined);
    throw err;
  }
  return {
    daemon,
    work,
    cleanup: async () => {
      try {
        await daemon.cleanup();
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    },
  };
}

/** Writes `files` (relative path → content) under `dir`, making directories as needed. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
}
