// berth's own version, from package.json (the single source of truth).
// Builtins through process.getBuiltinModule: the CLI loads this module on
// every start, and an ESM import of node:fs builds a facade that loads
// fs/promises and readline (~7 ms of `berth ps`).
const { readFileSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const path = process.getBuiltinModule('node:path');

function readPackageVersion(): string {
  // dist/src/common/version.js → ../../../package.json
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(here, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'berth' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0-dev';
}

export const berthVersion = readPackageVersion();
export const gitCommit = process.env.BERTH_GIT_COMMIT ?? 'unknown';
