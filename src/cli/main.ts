// The berth CLI's entry. It turns on Node's compile cache first, then loads
// the CLI with a dynamic import: ESM evaluates (and compiles) a module's
// static imports before its body runs, so a cache enabled in a module that
// statically imports the CLI would come too late to serve it. See docs/cli.md
// for the startup figures behind this layout.
//
// Builtins are taken with process.getBuiltinModule: an ESM `import` of a
// builtin builds a module facade that reads every export, which for some
// (node:http, node:fs) loads whole subsystems the CLI does not use.

const { enableCompileCache } = process.getBuiltinModule('node:module');
const { mkdirSync, realpathSync, statSync } = process.getBuiltinModule('node:fs');
const { basename, dirname } = process.getBuiltinModule('node:path');

/**
 * Where compiled bytecode is kept between runs: a directory of this user's,
 * since bytecode others can write would run as this user. The XDG cache
 * (~/.cache/berth/compile-cache), else one under the temp dir; none when
 * neither is safe to use (the CLI then just starts slower). Node's own
 * NODE_COMPILE_CACHE wins when set; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const candidates: string[] = [];
  if (env.XDG_CACHE_HOME?.startsWith('/')) candidates.push(`${env.XDG_CACHE_HOME}/berth/compile-cache`);
  else if (env.HOME?.startsWith('/') && env.HOME !== '/') candidates.push(`${env.HOME}/.cache/berth/compile-cache`);
  candidates.push(`${env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp'}/berth-compile-cache-${uid}`);
  return candidates.find((dir) => isOwnPrivateDir(dir, uid));
}

/**
 * Whether `dir` (made if missing) is ours and no one else can swap it or
 * write into it: the directory is the user's and not group/other writable,
 * each ancestor belongs to the user or root and is writable by others only
 * with the sticky bit (/tmp). Ancestors are checked before anything is made
 * under them. `sudo -E` keeps a user's HOME: root must not then read
 * bytecode from (or make directories in) that user's ~/.cache.
 */
function isOwnPrivateDir(dir: string, uid: number): boolean {
  try {
    // The deepest part of the path that exists (symlinks resolved), and the names missing below it.
    let existing = dir;
    const missing: string[] = [];
    for (;;) {
      try {
        existing = realpathSync(existing);
        break;
      } catch {
        if (existing === '/' || !existing.startsWith('/')) return false;
        missing.unshift(basename(existing));
        existing = dirname(existing);
      }
    }
    for (let path = existing; ; path = dirname(path)) {
      const st = statSync(path);
      if (st.uid !== uid && st.uid !== 0) return false;
      if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return false;
      if (path === '/') break;
    }
    let path = existing;
    for (const name of missing) {
      path = path === '/' ? `/${name}` : `${path}/${name}`;
      mkdirSync(path, { mode: 0o700 });
    }
    const own = statSync(path);
    return own.isDirectory() && own.uid === uid && (own.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

try {
  if (!process.env.NODE_COMPILE_CACHE && !process.env.NODE_DISABLE_COMPILE_CACHE) {
    const dir = compileCacheDir(process.env);
    // A failure to enable (read-only file system) comes back as a status, not an exception.
    if (dir) enableCompileCache(dir);
  }
} catch {
  // The cache only saves time: never let it stop the CLI.
}

// A reader that goes away (`berth logs -f x | head`) ends the CLI quietly
// with 128+SIGPIPE, as the signal ends the docker CLI.
for (const out of [process.stdout, process.stderr]) {
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

// Below, what runs with the cache on.
const { buildRegistry } = await import('./commands/index.js');

async function main(): Promise<number> {
  const registry = buildRegistry();
  const stdinWidth = process.stdin.isTTY ? (process.stdout.columns ?? 80) : undefined;
  return registry.dispatch(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    terminalWidth: stdinWidth,
  });
}

main().then(
  (code) => {
    // Let pending stdout writes drain before exiting.
    process.exitCode = code;
    if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
    else process.stdout.once('drain', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
