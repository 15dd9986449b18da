// berth update / berth container update: POST /containers/{id}/update with
// the resources and restart policy given; the daemon's warnings after the
// names (docker/cli update.go).
import { defineCommand, minArgs, StatusError } from '../../command.js';
import { apiClient, daemonError } from '../../session.js';
import { containerPath } from './container-api.js';
import { parseRestartPolicy } from './option-values.js';

export const updateCommand = defineCommand({
  name: 'update',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  flags: {
    'blkio-weight': { type: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
    'cpu-period': { type: 'int64', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    'cpu-quota': { type: 'int64', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    'cpu-rt-period': { type: 'int64', usage: 'Limit the CPU real-time period in microseconds' },
    'cpu-rt-runtime': { type: 'int64', usage: 'Limit the CPU real-time runtime in microseconds' },
    'cpu-shares': { type: 'int64', short: 'c', usage: 'CPU shares (relative weight)' },
    cpus: { type: 'decimal', usage: 'Number of CPUs' },
    'cpuset-cpus': { type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
    'cpuset-mems': { type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
    'kernel-memory': { type: 'bytes', usage: 'Kernel memory limit (deprecated)', hidden: true },
    memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
    'memory-reservation': { type: 'bytes', usage: 'Memory soft limit' },
    'memory-swap': { type: 'swapBytes', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
    'pids-limit': { type: 'int64', usage: 'Tune container pids limit (set -1 for unlimited)' },
    restart: { type: 'string', usage: 'Restart policy to apply when a container exits' },
  },
  args: minArgs(1),
  async run(ctx) {
    const f = ctx.flags;
    if (ctx.changed.size === 0) throw new StatusError('you must provide one or more flags when using this command', 1);
    let restartPolicy = { Name: '', MaximumRetryCount: 0 };
    if (f.restart !== '') {
      try {
        restartPolicy = parseRestartPolicy(f.restart);
      } catch (err) {
        throw new StatusError((err as Error).message, 1);
      }
    }
    const body: Record<string, unknown> = {
      CpuShares: f['cpu-shares'],
      Memory: f.memory,
      NanoCpus: f.cpus,
      CgroupParent: '',
      BlkioWeight: f['blkio-weight'],
      BlkioWeightDevice: null,
      BlkioDeviceReadBps: null,
      BlkioDeviceWriteBps: null,
      BlkioDeviceReadIOps: null,
      BlkioDeviceWriteIOps: null,
      CpuPeriod: f['cpu-period'],
      CpuQuota: f['cpu-quota'],
      CpuRealtimePeriod: f['cpu-rt-period'],
      CpuRealtimeRuntime: f['cpu-rt-runtime'],
      CpusetCpus: f['cpuset-cpus'],
      CpusetMems: f['cpuset-mems'],
      Devices: null,
      DeviceCgroupRules: null,
      DeviceRequests: null,
      MemoryReservation: f['memory-reservation'],
      MemorySwap: f['memory-swap'],
      MemorySwappiness: null,
      OomKillDisable: null,
      PidsLimit: f['pids-limit'] !== 0 ? f['pids-limit'] : null,
      Ulimits: null,
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      RestartPolicy: restartPolicy,
    };
    const client = apiClient(ctx);
    const warnings: string[] = [];
    const errors: string[] = [];
    for (const name of ctx.args) {
      try {
        const res = await client.json<{ Warnings?: string[] | null }>('POST', containerPath(name, '/update'), { body });
        ctx.stdout.write(`${name}\n`);
        warnings.push(...(res?.Warnings ?? []));
      } catch (err) {
        errors.push(daemonError(err).status);
      }
    }
    if (warnings.length > 0) ctx.stdout.write(`${warnings.join('\n')}\n`);
    if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
    return 0;
  },
});
