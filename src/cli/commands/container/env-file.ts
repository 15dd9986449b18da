// docker's `--env-file` / `--label-file` format (docker/cli pkg/kvfile, as
// docker 28 reads it): one VAR=value per line, values passed through
// untouched (no quotes, no expansion), `#` comments and blank lines skipped,
// leading whitespace and a UTF-8 BOM on the first line trimmed; a bare VAR
// takes its value from the CLI's environment (env files only) or is left out.
import { readFileSync } from 'node:fs';

export type EnvLookup = (name: string) => string | undefined;

/** A parse error, worded as docker prints it after "docker: ". */
export class KeyValueFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyValueFileError';
  }
}

const UTF8_BOM = '\uFEFF';

function isValidUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Lines as bufio.Scanner's ScanLines yields them: split on \n, a trailing \r dropped, no empty last line. */
function scanLines(data: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    const next = end < 0 ? data.length : end + 1;
    if (end < 0) end = data.length;
    let line = data.subarray(start, end);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    lines.push(line);
    start = next;
  }
  return lines;
}

/**
 * kvfile.Parse (docker 28): the file's entries as "VAR=value"; a line that is
 * only a name takes the value from `lookup`, and is left out when the name is
 * not set there (or when there is no lookup, as for label files).
 */
export function parseKeyValueText(data: Buffer, fileName: string, lookup?: EnvLookup): string[] {
  const out: string[] = [];
  const lines = scanLines(data);
  const fail = (reason: string): KeyValueFileError => new KeyValueFileError(`invalid env file (${fileName}): ${reason}`);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!isValidUtf8(raw)) throw fail(`invalid utf8 bytes at line ${i + 1}: [${[...raw].join(' ')}]`);
    let text = raw.toString('utf8');
    if (i === 0 && text.startsWith(UTF8_BOM)) text = text.slice(1);
    // Leading whitespace goes; trailing whitespace is part of the value.
    const line = text.replace(/^\s+/u, '');
    if (line.length === 0 || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key.length === 0) throw fail(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw fail(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line);
      continue;
    }
    const value = lookup?.(line);
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  return out;
}

/** Reads and parses one file; a missing file fails as Go's os.Open does. */
export function parseKeyValueFile(fileName: string, lookup?: EnvLookup, read: (file: string) => Buffer = readFileSync): string[] {
  let data: Buffer;
  try {
    data = read(fileName);
  } catch (err) {
    throw new KeyValueFileError(goOpenError(fileName, err));
  }
  return parseKeyValueText(data, fileName, lookup);
}

/** Go's *PathError text for a failed open: "open <name>: <strerror>". */
export function goOpenError(fileName: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  const reason = (code && reasons[code]) ?? (err instanceof Error ? err.message : String(err));
  return `open ${fileName}: ${reason}`;
}

/**
 * opts.ReadKVStrings / ReadKVEnvStrings: the files' entries, then `overrides`
 * (the -e / -l values), in order.
 */
export function readKeyValueStrings(
  files: readonly string[],
  overrides: readonly string[],
  lookup?: EnvLookup,
  read?: (file: string) => Buffer,
): string[] {
  const out: string[] = [];
  for (const file of files) out.push(...parseKeyValueFile(file, lookup, read));
  out.push(...overrides);
  return out;
}
