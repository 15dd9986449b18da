// `changes` of import and commit (`docker import --change 'CMD ["sh"]'`):
// Dockerfile instructions applied to an image config, as moby's
// dockerfile.BuildFromConfig does. Only the instructions that change the
// config are accepted (moby's validCommitCommands); anything else is docker's
// "<instr> is not a valid change command".
import { invalidParameter } from '../common/errors.js';
import type { ContainerConfig, HealthConfig } from '../common/container-config.js';

const VALID = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/**
 * Split `KEY=value other="a b"` words, honouring quotes and backslash
 * escapes (quotes removed), expanding $VAR / ${VAR} / ${VAR:-x} / ${VAR:+x}
 * from `env` outside single quotes. An expansion never splits a word, as in
 * docker's shell lexer.
 */
export function splitWords(input: string, env: string[] = []): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '$' && quote !== "'") {
      const exp = expandAt(input, i, env);
      if (exp) {
        cur += exp.value;
        inWord = true;
        i += exp.length - 1;
        continue;
      }
    }
    if (quote) {
      if (c === quote) {
        quote = null;
      } else if (c === '\\' && quote === '"' && i + 1 < input.length && (input[i + 1] === '"' || input[i + 1] === '\\' || input[i + 1] === '$')) {
        cur += input[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < input.length) {
      cur += input[++i];
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote) throw invalidParameter(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) words.push(cur);
  return words;
}

function lookupEnv(env: string[], name: string): string | undefined {
  for (let i = env.length - 1; i >= 0; i--) {
    const e = env[i]!;
    if (e.startsWith(name + '=')) return e.slice(name.length + 1);
  }
  return undefined;
}

/** A $VAR / ${VAR...} at `at`: its value and how many characters it spans. */
function expandAt(input: string, at: number, env: string[]): { value: string; length: number } | undefined {
  const rest = input.slice(at);
  const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])([^}]*))?\}/.exec(rest);
  if (braced) {
    const v = lookupEnv(env, braced[1]!);
    let value: string;
    if (braced[2] === ':-') value = v ? v : braced[3]!;
    else if (braced[2] === ':+') value = v ? braced[3]! : '';
    else value = v ?? '';
    return { value, length: braced[0].length };
  }
  const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
  if (bare) return { value: lookupEnv(env, bare[1]!) ?? '', length: bare[0].length };
  return undefined;
}

/** JSON (exec) form when the argument is a JSON array of strings, else undefined. */
function parseJsonArray(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

function keyValues(instr: string, rest: string, env: string[]): Array<[string, string]> {
  const words = splitWords(rest, env);
  if (words.length === 0) throw invalidParameter(`${instr.toUpperCase()} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // Legacy `ENV key value...` (one pair, the rest of the line is the value).
    if (instr === 'label') throw invalidParameter('LABEL requires at least one argument');
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw invalidParameter(`${instr.toUpperCase()} must have two arguments`);
    return [[m[1]!, splitWords(m[2]!, env).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidParameter(`${instr.toUpperCase()} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function parseDuration(s: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || s === '') throw invalidParameter(`time: invalid duration "${s}"`);
  return Math.round(((Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0)) * 1e6);
}

/** Apply `changes` (one instruction per entry) to a copy of `config`. */
export function applyChanges(config: ContainerConfig | undefined, changes: string[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(config ?? {});
  let cmdSet = false;
  for (const raw of changes) {
    const line = raw.replace(/\\\r?\n/g, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1]!.toLowerCase();
    const rest = m[2]!;
    // The instruction as typed: docker 28's parser (buildkit's) keeps its case in Node.Value
    // (dockerd 20.10's older parser lowercased it: "run is not ...").
    if (!VALID.has(instr)) throw invalidParameter(`${m[1]!} is not a valid change command`);
    const env = c.Env ?? [];
    switch (instr) {
      case 'cmd': {
        c.Cmd = parseJsonArray(rest) ?? ['/bin/sh', '-c', rest.trim()];
        cmdSet = true;
        break;
      }
      case 'entrypoint': {
        const json = parseJsonArray(rest);
        c.Entrypoint = json ?? (rest.trim() === '' ? ['/bin/sh', '-c'] : ['/bin/sh', '-c', rest.trim()]);
        if (!cmdSet) c.Cmd = null;
        break;
      }
      case 'env': {
        const out = [...env];
        for (const [k, v] of keyValues('env', rest, env)) {
          const i = out.findIndex((e) => e === k || e.startsWith(k + '='));
          if (i >= 0) out[i] = `${k}=${v}`;
          else out.push(`${k}=${v}`);
        }
        c.Env = out;
        break;
      }
      case 'label': {
        const labels = { ...(c.Labels ?? {}) };
        for (const [k, v] of keyValues('label', rest, env)) labels[k] = v;
        c.Labels = labels;
        break;
      }
      case 'expose': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        const words = splitWords(rest, env);
        if (words.length === 0) throw invalidParameter('EXPOSE requires at least one argument');
        for (const w of words) {
          const pm = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!pm) throw invalidParameter(`invalid containerPort: ${w.split('/')[0]}`);
          const proto = (pm[3] ?? 'tcp').toLowerCase();
          const lo = Number(pm[1]);
          const hi = pm[2] ? Number(pm[2]) : lo;
          if (hi < lo) throw invalidParameter(`invalid range specified for container port: ${w}`);
          for (let p = lo; p <= hi; p++) ports[`${p}/${proto}`] = {};
        }
        c.ExposedPorts = ports;
        break;
      }
      case 'user': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('USER requires exactly one argument');
        c.User = words[0]!;
        break;
      }
      case 'workdir': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('WORKDIR requires exactly one argument');
        const dir = words[0]!;
        c.WorkingDir = dir.startsWith('/') ? normalizePath(dir) : normalizePath(`${c.WorkingDir || '/'}/${dir}`);
        break;
      }
      case 'volume': {
        const vols = { ...(c.Volumes ?? {}) };
        const list = parseJsonArray(rest) ?? splitWords(rest, env);
        if (list.length === 0) throw invalidParameter('VOLUME requires at least one argument');
        for (const v of list) {
          if (v.trim() === '') throw invalidParameter('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        c.Volumes = vols;
        break;
      }
      case 'stopsignal': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('STOPSIGNAL requires exactly one argument');
        c.StopSignal = words[0]!;
        break;
      }
      case 'onbuild': {
        const t = rest.trim();
        const sub = /^(\S+)/.exec(t)?.[1]?.toUpperCase() ?? '';
        if (sub === '') throw invalidParameter('ONBUILD requires at least one argument');
        if (sub === 'ONBUILD') throw invalidParameter("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (sub === 'FROM' || sub === 'MAINTAINER') throw invalidParameter(`${sub} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), sub + t.slice(sub.length)];
        break;
      }
      case 'healthcheck': {
        c.Healthcheck = parseHealthcheck(rest);
        break;
      }
    }
  }
  return c;
}

function parseHealthcheck(rest: string): HealthConfig {
  let t = rest.trim();
  const hc: HealthConfig = {};
  for (;;) {
    const fm = /^--(interval|timeout|start-period|start-interval|retries)=(\S+)\s*/.exec(t);
    if (!fm) break;
    const v = fm[2]!;
    if (fm[1] === 'retries') hc.Retries = Number(v);
    else if (fm[1] === 'interval') hc.Interval = parseDuration(v);
    else if (fm[1] === 'timeout') hc.Timeout = parseDuration(v);
    else if (fm[1] === 'start-period') hc.StartPeriod = parseDuration(v);
    else hc.StartInterval = parseDuration(v);
    t = t.slice(fm[0].length);
  }
  const kind = /^(\S+)\s*(.*)$/s.exec(t);
  if (!kind) throw invalidParameter('Missing command after HEALTHCHECK');
  const k = kind[1]!.toUpperCase();
  if (k === 'NONE') return { Test: ['NONE'] };
  if (k !== 'CMD') throw invalidParameter(`Unknown type "${k}" in HEALTHCHECK (try CMD)`);
  const json = parseJsonArray(kind[2]!);
  hc.Test = json ? ['CMD', ...json] : ['CMD-SHELL', kind[2]!.trim()];
  return hc;
}

function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}
