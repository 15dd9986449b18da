// berth stats / berth container stats: GET /containers/{id}/stats per
// container, figures computed as docker/cli's stats_helpers.go does (CPU %
// from the deltas against precpu_stats times the online CPUs; memory without
// the inactive file cache), rendered by docker's stats formatter; redrawn
// every 500ms unless --no-stream.
import { defineCommand, StatusError } from '../../command.js';
import { readCliConfig } from '../../client/contexts.js';
import { markStruct } from '../../format/index.js';
import { apiClient, daemonError } from '../../session.js';
import { formatFlag, listing, markEscapedJSON } from '../../shared-options.js';
import { bytesSize, humanSizeWithPrecision } from '../../units.js';
import { containerPath, type ContainerSummary } from './container-api.js';
import { truncateID } from './ls.js';

/** The parts of container.StatsResponse the figures come from. */
export interface StatsResponse {
  name?: string;
  id?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  pids_stats?: { current?: number };
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  invalid: boolean;
}

/** calculateCPUPercentUnix. */
export function cpuPercent(v: StatsResponse): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - (v.precpu_stats?.system_cpu_usage ?? 0);
  let online = v.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * online * 100;
  return 0;
}

/** calculateMemUsageUnixNoCache: usage less the inactive file cache (cgroup v1 then v2 key). */
export function memoryUsage(mem: StatsResponse['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  if (Object.hasOwn(stats, 'total_inactive_file') && stats.total_inactive_file! < usage) return usage - stats.total_inactive_file!;
  const inactive = stats.inactive_file ?? 0;
  if (inactive < usage) return usage - inactive;
  return usage;
}

/** calculateBlockIO: read and write bytes over all devices. */
export function blockIO(v: StatsResponse): [number, number] {
  let read = 0;
  let write = 0;
  for (const entry of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op?.[0];
    if (op === 'r' || op === 'R') read += entry.value;
    else if (op === 'w' || op === 'W') write += entry.value;
  }
  return [read, write];
}

export function entryFromStats(container: string, v: StatsResponse): StatsEntry {
  const memory = memoryUsage(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  const [blockRead, blockWrite] = blockIO(v);
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercentage: cpuPercent(v),
    memory,
    memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0,
    networkRx: rx,
    networkTx: tx,
    blockRead,
    blockWrite,
    pidsCurrent: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

function percentage(value: number): string {
  return `${value.toFixed(2)}%`;
}

/** docker's *formatter.statsContext. */
export class StatsRow {
  readonly #s: StatsEntry;
  readonly #trunc: boolean;
  constructor(s: StatsEntry, trunc: boolean) {
    this.#s = s;
    this.#trunc = trunc;
    markEscapedJSON(this);
    markStruct(this, '*container.statsContext');
  }
  Container(): string {
    return this.#s.container;
  }
  Name(): string {
    return this.#s.name.length > 1 ? this.#s.name.slice(1) : '--';
  }
  ID(): string {
    return this.#trunc ? truncateID(this.#s.id) : this.#s.id;
  }
  CPUPerc(): string {
    return this.#s.invalid ? '--' : percentage(this.#s.cpuPercentage);
  }
  MemUsage(): string {
    if (this.#s.invalid) return '-- / --';
    return `${bytesSize(this.#s.memory)} / ${bytesSize(this.#s.memoryLimit)}`;
  }
  MemPerc(): string {
    return this.#s.invalid ? '--' : percentage(this.#s.memoryPercentage);
  }
  NetIO(): string {
    if (this.#s.invalid) return '--';
    return `${humanSizeWithPrecision(this.#s.networkRx, 3)} / ${humanSizeWithPrecision(this.#s.networkTx, 3)}`;
  }
  BlockIO(): string {
    if (this.#s.invalid) return '--';
    return `${humanSizeWithPrecision(this.#s.blockRead, 3)} / ${humanSizeWithPrecision(this.#s.blockWrite, 3)}`;
  }
  PIDs(): string {
    return this.#s.invalid ? '--' : String(this.#s.pidsCurrent);
  }
  MarshalJSON(): Record<string, string> {
    return {
      BlockIO: this.BlockIO(),
      CPUPerc: this.CPUPerc(),
      Container: this.Container(),
      ID: this.ID(),
      MemPerc: this.MemPerc(),
      MemUsage: this.MemUsage(),
      Name: this.Name(),
      NetIO: this.NetIO(),
      PIDs: this.PIDs(),
    };
  }
}
Object.defineProperty(StatsRow, 'name', { value: '*container.statsContext' });

export const STATS_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const STATS_HEADER = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

export function renderStats(entries: readonly StatsEntry[], format: string, trunc: boolean): string {
  const resolved = format === '' || format === 'table' ? STATS_TABLE_FORMAT : format;
  return listing(
    entries.map((e) => new StatsRow(e, trunc)),
    resolved,
    STATS_HEADER,
  );
}

/** Reads one JSON value after another from a stats stream. */
async function* jsonStream(body: AsyncIterable<Buffer | string>): AsyncGenerator<StatsResponse> {
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as StatsResponse;
    }
  }
  if (buffer.trim() !== '') yield JSON.parse(buffer) as StatsResponse;
}

export const statsCommand = defineCommand({
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Show all containers (default shows just running)' },
    format: formatFlag(),
    'no-stream': { type: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    'no-trunc': { type: 'bool', usage: 'Do not truncate output' },
  },
  args: { kind: 'any' },
  async run(ctx) {
    const client = apiClient(ctx);
    const stream = !ctx.flags['no-stream'];
    let format = ctx.flags.format;
    if (format === '') {
      const configured = readCliConfig(ctx.global.config).statsFormat;
      if (typeof configured === 'string') format = configured;
    }
    const trunc = !ctx.flags['no-trunc'];
    let names: string[] = [...ctx.args];
    const explicit = names.length > 0;
    if (!explicit) {
      const list = await client
        .json<ContainerSummary[]>('GET', '/containers/json', { query: { all: ctx.flags.all ? '1' : undefined } })
        .catch((err: unknown) => {
          throw daemonError(err);
        });
      names = (list ?? []).map((c) => c.Id);
    }
    const entries = new Map<string, StatsEntry>();
    const errors = new Map<string, string>();
    for (const name of names) {
      entries.set(name, {
        container: name,
        name: '',
        id: '',
        cpuPercentage: 0,
        memory: 0,
        memoryLimit: 0,
        memoryPercentage: 0,
        networkRx: 0,
        networkTx: 0,
        blockRead: 0,
        blockWrite: 0,
        pidsCurrent: 0,
        invalid: true,
      });
    }
    const firstSeen = names.map(
      (name) =>
        new Promise<void>((resolve) => {
          void (async () => {
            try {
              const res = await client.stream('GET', containerPath(name, '/stats'), { query: { stream: stream ? '1' : '0', 'one-shot': stream ? undefined : '1' } });
              for await (const v of jsonStream(res.body)) {
                entries.set(name, entryFromStats(name, v));
                resolve();
                if (!stream) break;
              }
            } catch (err) {
              errors.set(name, daemonError(err).status);
              const e = entries.get(name);
              if (e) e.invalid = true;
            }
            resolve();
          })();
        }),
    );
    const render = (): string => renderStats(names.map((n) => entries.get(n)!), format, trunc);
    if (!stream) {
      await Promise.all(firstSeen);
      if (explicit && errors.size > 0) throw new StatusError([...errors.values()].join('\n'), 1);
      ctx.stdout.write(render());
      return 0;
    }
    const terminal = process.stdout.isTTY === true;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      if (explicit && errors.size === names.length && names.length > 0) throw new StatusError([...errors.values()].join('\n'), 1);
      ctx.stdout.write((terminal ? '\x1b[2J\x1b[H' : '') + render());
    }
  },
});
