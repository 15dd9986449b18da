// The berth CLI's entry: build the command tree and dispatch argv as the docker CLI does.
import module from 'node:module';
import { buildRegistry } from './commands/index.js';

// Cache compiled bytecode between runs: `berth ps` should start fast.
module.enableCompileCache?.();

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
