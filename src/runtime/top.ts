// docker top: `ps` run on the host (never inside the container, which may
// have no ps), its lines kept for the container's pids (moby daemon/top_unix.go).
import { execFile } from 'node:child_process';
import { invalidParameter, systemError } from '../common/errors.js';
import { containerPids } from './cgroups.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Parse ps output keeping the lines of `pids` (thread lines "-" after a kept process too). */
export function parsePsOutput(output: string, pids: number[]): TopResult {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw systemError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const append = (fields: string[]): void => {
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  };
  let previousKept = false;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const raw = fields[pidIndex] ?? '';
    if (raw === '-') {
      if (previousKept) append(fields);
      continue;
    }
    const p = Number(raw);
    if (!Number.isInteger(p)) throw systemError(`Unexpected pid '${raw}': strconv.Atoi: parsing "${raw}": invalid syntax`);
    previousKept = wanted.has(p);
    if (previousKept) append(fields);
  }
  return { Titles: titles, Processes: processes };
}

export async function top(initPid: number, psArgs: string): Promise<TopResult> {
  const args = (psArgs || '-ef').split(' ').filter(Boolean);
  if (args.some((a) => a.includes('\0'))) throw invalidParameter('invalid ps arguments');
  const pids = await containerPids(initPid);
  const output = await new Promise<string>((resolve, reject) => {
    execFile('ps', args, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      // moby: the first line of ps's stderr says why it failed (a bad -o field).
      const why = stderr.split('\n', 1)[0] ?? '';
      reject(why ? invalidParameter(`ps: ${why}`) : systemError(`ps: ${err.message}`));
    });
  });
  return parsePsOutput(output, pids);
}
