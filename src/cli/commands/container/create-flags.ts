// The flags of `run` and `create`: docker/cli's AddFlags (cli/command/
// container/opts.go) plus each command's own (run.go, create.go), with the
// docker CLI 28.2.2's names, types, defaults and help texts. Validators are
// the ones docker runs while parsing flags; the rest of the checks happen
// when the request is built (create-options.ts).
import { defineFlags } from '../../flags.js';
import { validateMountSpec } from './mount-spec.js';
import {
  validateAttach,
  validateDeviceCgroupRule,
  validateDNSSearch,
  validateEnv,
  validateExtraHost,
  validateGpuRequest,
  validateIPAddress,
  validateLabel,
  validateLink,
  validateNetwork,
  validateSysctl,
  validateThrottleBpsDevice,
  validateThrottleIOpsDevice,
  validateUlimit,
  validateWeightDevice,
} from './option-values.js';

const CGROUPNS_USAGE = `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`;

/** The container configuration flags both commands share (AddFlags). */
export const containerFlags = defineFlags({
  // General purpose
  attach: { type: 'list', short: 'a', usage: 'Attach to STDIN, STDOUT or STDERR', validate: validateAttach },
  'device-cgroup-rule': { type: 'list', usage: 'Add a rule to the cgroup allowed devices list', validate: validateDeviceCgroupRule },
  device: { type: 'list', usage: 'Add a host device to the container' },
  gpus: { type: 'list', typeName: 'gpu-request', usage: "GPU devices to add to the container ('all' to pass all GPUs)", validate: validateGpuRequest },
  env: { type: 'list', short: 'e', usage: 'Set environment variables', validate: validateEnv },
  'env-file': { type: 'list', usage: 'Read in a file of environment variables' },
  entrypoint: { type: 'string', usage: 'Overwrite the default ENTRYPOINT of the image' },
  'group-add': { type: 'list', usage: 'Add additional groups to join' },
  hostname: { type: 'string', short: 'h', usage: 'Container host name' },
  domainname: { type: 'string', usage: 'Container NIS domain name' },
  interactive: { type: 'bool', short: 'i', usage: 'Keep STDIN open even if not attached' },
  label: { type: 'list', short: 'l', usage: 'Set meta data on a container', validate: validateLabel },
  'label-file': { type: 'list', usage: 'Read in a line delimited file of labels' },
  'read-only': { type: 'bool', usage: "Mount the container's root filesystem as read only" },
  restart: { type: 'string', default: 'no', usage: 'Restart policy to apply when a container exits' },
  'stop-signal': { type: 'string', usage: 'Signal to stop the container' },
  'stop-timeout': { type: 'int', usage: 'Timeout (in seconds) to stop a container' },
  sysctl: { type: 'map', usage: 'Sysctl options', validate: validateSysctl },
  tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
  ulimit: { type: 'list', typeName: 'ulimit', defaultText: '[]', usage: 'Ulimit options', validate: validateUlimit },
  user: { type: 'string', short: 'u', usage: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  workdir: { type: 'string', short: 'w', usage: 'Working directory inside the container' },
  rm: { type: 'bool', usage: 'Automatically remove the container and its associated anonymous volumes when it exits' },

  // Security
  'cap-add': { type: 'list', usage: 'Add Linux capabilities' },
  'cap-drop': { type: 'list', usage: 'Drop Linux capabilities' },
  privileged: { type: 'bool', usage: 'Give extended privileges to this container' },
  'security-opt': { type: 'list', usage: 'Security Options' },
  userns: { type: 'string', usage: 'User namespace to use' },
  cgroupns: { type: 'string', usage: CGROUPNS_USAGE },

  // Network and port publishing
  'add-host': { type: 'list', usage: 'Add a custom host-to-IP mapping (host:ip)', validate: validateExtraHost },
  dns: { type: 'list', usage: 'Set custom DNS servers', validate: validateIPAddress },
  'dns-opt': { type: 'list', usage: 'Set DNS options', hidden: true },
  'dns-option': { type: 'list', usage: 'Set DNS options' },
  'dns-search': { type: 'list', usage: 'Set custom DNS search domains', validate: validateDNSSearch },
  expose: { type: 'list', usage: 'Expose a port or a range of ports' },
  ip: { type: 'string', usage: 'IPv4 address (e.g., 172.30.100.104)' },
  ip6: { type: 'string', usage: 'IPv6 address (e.g., 2001:db8::33)' },
  link: { type: 'list', usage: 'Add link to another container', validate: validateLink },
  'link-local-ip': { type: 'list', usage: 'Container IPv4/IPv6 link-local addresses' },
  'mac-address': { type: 'string', usage: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  publish: { type: 'list', short: 'p', usage: "Publish a container's port(s) to the host" },
  'publish-all': { type: 'bool', short: 'P', usage: 'Publish all exposed ports to random ports' },
  net: { type: 'list', typeName: 'network', defaultText: null, usage: 'Connect a container to a network', hidden: true, validate: validateNetwork },
  network: { type: 'list', typeName: 'network', defaultText: null, usage: 'Connect a container to a network', validate: validateNetwork },
  'net-alias': { type: 'list', usage: 'Add network-scoped alias for the container', hidden: true },
  'network-alias': { type: 'list', usage: 'Add network-scoped alias for the container' },

  // Logging and storage
  'log-driver': { type: 'string', usage: 'Logging driver for the container' },
  'volume-driver': { type: 'string', usage: 'Optional volume driver for the container' },
  'log-opt': { type: 'list', usage: 'Log driver options' },
  'storage-opt': { type: 'list', usage: 'Storage driver options for the container' },
  tmpfs: { type: 'list', usage: 'Mount a tmpfs directory' },
  'volumes-from': { type: 'list', usage: 'Mount volumes from the specified container(s)' },
  volume: { type: 'list', short: 'v', usage: 'Bind mount a volume' },
  mount: { type: 'list', typeName: 'mount', defaultText: null, usage: 'Attach a filesystem mount to the container', validate: validateMountSpec },

  // Health-checking
  'health-cmd': { type: 'string', usage: 'Command to run to check health' },
  'health-interval': { type: 'duration', usage: 'Time between running the check (ms|s|m|h)' },
  'health-retries': { type: 'int', usage: 'Consecutive failures needed to report unhealthy' },
  'health-timeout': { type: 'duration', usage: 'Maximum time to allow one check to run (ms|s|m|h)' },
  'health-start-period': {
    type: 'duration',
    usage: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)',
  },
  'health-start-interval': { type: 'duration', usage: 'Time between running the check during the start period (ms|s|m|h)' },
  'no-healthcheck': { type: 'bool', usage: 'Disable any container-specified HEALTHCHECK' },

  // Resource management
  'blkio-weight': { type: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
  'blkio-weight-device': { type: 'list', defaultText: '[]', usage: 'Block IO weight (relative device weight)', validate: validateWeightDevice },
  cidfile: { type: 'string', usage: 'Write the container ID to the file' },
  'cpuset-cpus': { type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  'cpuset-mems': { type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  'cpu-count': { type: 'int64', usage: 'CPU count (Windows only)' },
  'cpu-percent': { type: 'int64', usage: 'CPU percent (Windows only)' },
  'cpu-period': { type: 'int64', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  'cpu-quota': { type: 'int64', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  'cpu-rt-period': { type: 'int64', usage: 'Limit CPU real-time period in microseconds' },
  'cpu-rt-runtime': { type: 'int64', usage: 'Limit CPU real-time runtime in microseconds' },
  'cpu-shares': { type: 'int64', short: 'c', usage: 'CPU shares (relative weight)' },
  cpus: { type: 'decimal', usage: 'Number of CPUs' },
  'device-read-bps': {
    type: 'list',
    defaultText: '[]',
    usage: 'Limit read rate (bytes per second) from a device',
    validate: validateThrottleBpsDevice,
  },
  'device-read-iops': { type: 'list', defaultText: '[]', usage: 'Limit read rate (IO per second) from a device', validate: validateThrottleIOpsDevice },
  'device-write-bps': {
    type: 'list',
    defaultText: '[]',
    usage: 'Limit write rate (bytes per second) to a device',
    validate: validateThrottleBpsDevice,
  },
  'device-write-iops': { type: 'list', defaultText: '[]', usage: 'Limit write rate (IO per second) to a device', validate: validateThrottleIOpsDevice },
  'io-maxbandwidth': { type: 'bytes', usage: 'Maximum IO bandwidth limit for the system drive (Windows only)' },
  'io-maxiops': { type: 'uint64', usage: 'Maximum IOps limit for the system drive (Windows only)' },
  'kernel-memory': { type: 'bytes', usage: 'Kernel memory limit' },
  memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
  'memory-reservation': { type: 'bytes', usage: 'Memory soft limit' },
  'memory-swap': { type: 'swapBytes', usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  'memory-swappiness': { type: 'int64', default: -1, usage: 'Tune container memory swappiness (0 to 100)' },
  'oom-kill-disable': { type: 'bool', usage: 'Disable OOM Killer' },
  'oom-score-adj': { type: 'int', usage: "Tune host's OOM preferences (-1000 to 1000)" },
  'pids-limit': { type: 'int64', usage: 'Tune container pids limit (set -1 for unlimited)' },

  // Low-level execution
  'cgroup-parent': { type: 'string', usage: 'Optional parent cgroup for the container' },
  ipc: { type: 'string', usage: 'IPC mode to use' },
  isolation: { type: 'string', usage: 'Container isolation technology' },
  pid: { type: 'string', usage: 'PID namespace to use' },
  'shm-size': { type: 'bytes', usage: 'Size of /dev/shm' },
  uts: { type: 'string', usage: 'UTS namespace to use' },
  runtime: { type: 'string', usage: 'Runtime to use for this container' },
  init: { type: 'bool', usage: 'Run an init inside the container that forwards signals and reaps processes' },
  annotation: { type: 'map', usage: 'Add an annotation to the container (passed through to the OCI runtime)' },
});

/** Flags of `create` not stored in the container's configuration (create.go). */
export const createOnlyFlags = defineFlags({
  name: { type: 'string', usage: 'Assign a name to the container' },
  pull: { type: 'string', default: 'missing', usage: 'Pull image before creating ("always", "|missing", "never")' },
  quiet: { type: 'bool', short: 'q', usage: 'Suppress the pull output' },
  // An explicit --help without -h: -h is --hostname.
  help: { type: 'bool', usage: 'Print usage' },
  platform: { type: 'string', usage: 'Set platform if server is multi-platform capable' },
  'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image verification' },
  'use-api-socket': { type: 'bool', usage: 'Bind mount Docker API socket and required auth' },
});

/** Flags of `run` not stored in the container's configuration (run.go). */
export const runOnlyFlags = defineFlags({
  detach: { type: 'bool', short: 'd', usage: 'Run container in background and print container ID' },
  'sig-proxy': { type: 'bool', default: true, usage: 'Proxy received signals to the process' },
  name: { type: 'string', usage: 'Assign a name to the container' },
  'detach-keys': { type: 'string', usage: 'Override the key sequence for detaching a container' },
  pull: { type: 'string', default: 'missing', usage: 'Pull image before running ("always", "missing", "never")' },
  quiet: { type: 'bool', short: 'q', usage: 'Suppress the pull output' },
  help: { type: 'bool', usage: 'Print usage' },
  platform: { type: 'string', usage: 'Set platform if server is multi-platform capable' },
  'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image verification' },
  'use-api-socket': { type: 'bool', usage: 'Bind mount Docker API socket and required auth' },
});

export const createFlags = defineFlags({ ...containerFlags, ...createOnlyFlags });
export const runFlags = defineFlags({ ...containerFlags, ...runOnlyFlags });

export type ContainerFlagSpecs = typeof containerFlags;
