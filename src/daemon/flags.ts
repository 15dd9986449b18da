// berthd's command line, named as dockerd's flags.
import { parseArgs } from 'node:util';
import { applyConfigFile, defaultConfig, defaultConfigFile, parseByteSize, type DaemonConfig } from './config.js';
import { parseLogLevel } from '../common/log.js';

export interface ParsedDaemonArgs {
  help?: string;
  version?: boolean;
  build(): DaemonConfig;
}

const usage = `Usage:	berthd [OPTIONS]

A Docker-compatible container engine

Options:
      --add-runtime runtime                   Register an additional OCI compatible runtime (name=path)
  -b, --bridge string                         Attach containers to a network bridge
      --bip string                            Specify network bridge IP
      --config-file string                    Daemon configuration file (default "${defaultConfigFile}")
      --data-root string                      Root directory of persistent berth state (default "/var/lib/berth")
  -D, --debug                                 Enable debug mode
      --default-address-pool pool-options     Default address pools for node specific local networks
      --default-runtime string                Default OCI runtime for containers (default "runc")
      --exec-root string                      Root directory for execution state files (default "/run/berth")
  -G, --group string                          Group for the unix socket (default "berth")
  -H, --host list                             Daemon socket(s) to connect to
      --insecure-registry list                Enable insecure registry communication
      --insecure-tcp                          Allow plain TCP on a non-loopback address (dangerous)
      --iptables                              Enable addition of iptables rules (default true)
  -l, --log-level string                      Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --log-file string                       Write the daemon's log to this file instead of stderr
      --pidfile string                        Path to use for daemon PID file (default "/run/berth/berthd.pid")
      --registry-mirror list                  Preferred registry mirror
  -s, --storage-driver string                 Storage driver to use
      --tls                                   Use TLS; implied by --tlsverify
      --tlscacert string                      Trust certs signed only by this CA
      --tlscert string                        Path to TLS certificate file
      --tlskey string                         Path to TLS key file
      --tlsverify                             Use TLS and verify the remote
  -v, --version                               Print version information and quit
`;

export function parseDaemonArgs(argv: string[]): ParsedDaemonArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'add-runtime': { type: 'string', multiple: true },
      bridge: { type: 'string', short: 'b' },
      bip: { type: 'string' },
      'config-file': { type: 'string' },
      'data-root': { type: 'string' },
      debug: { type: 'boolean', short: 'D' },
      'default-address-pool': { type: 'string', multiple: true },
      'default-runtime': { type: 'string' },
      'default-shm-size': { type: 'string' },
      'exec-root': { type: 'string' },
      group: { type: 'string', short: 'G' },
      help: { type: 'boolean', short: 'h' },
      host: { type: 'string', short: 'H', multiple: true },
      'insecure-registry': { type: 'string', multiple: true },
      'insecure-tcp': { type: 'boolean' },
      iptables: { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      'log-file': { type: 'string' },
      pidfile: { type: 'string', short: 'p' },
      'registry-mirror': { type: 'string', multiple: true },
      'storage-driver': { type: 'string', short: 's' },
      tls: { type: 'boolean' },
      tlscacert: { type: 'string' },
      tlscert: { type: 'string' },
      tlskey: { type: 'string' },
      tlsverify: { type: 'boolean' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return { help: usage, build: () => defaultConfig() };
  if (values.version) return { version: true, build: () => defaultConfig() };
  return {
    build(): DaemonConfig {
      const file = values['config-file'] ?? defaultConfigFile;
      const c = applyConfigFile(defaultConfig(), file, values['config-file'] !== undefined);
      c.configFile = file;
      if (values.host) c.hosts = values.host;
      if (values['data-root']) c.dataRoot = values['data-root'];
      if (values['exec-root']) c.execRoot = values['exec-root'];
      if (values.pidfile) c.pidfile = values.pidfile;
      if (values['log-level']) c.logLevel = parseLogLevel(values['log-level']);
      if (values['log-file']) c.logFile = values['log-file'];
      if (values.debug) c.debug = true;
      if (values.tls) c.tls = true;
      if (values.tlsverify) c.tlsVerify = true;
      if (values.tlscacert) c.tlsCaCert = values.tlscacert;
      if (values.tlscert) c.tlsCert = values.tlscert;
      if (values.tlskey) c.tlsKey = values.tlskey;
      if (values['insecure-tcp']) c.insecureTcp = true;
      if (values.bridge) c.bridge = values.bridge;
      if (values.bip) c.bip = values.bip;
      if (values['default-address-pool']) {
        c.defaultAddressPools = values['default-address-pool'].map(parseAddressPool);
      }
      if (values['insecure-registry']) c.insecureRegistries = [...c.insecureRegistries, ...values['insecure-registry']];
      if (values['registry-mirror']) c.registryMirrors = [...c.registryMirrors, ...values['registry-mirror']];
      if (values['default-runtime']) c.defaultRuntime = values['default-runtime'];
      for (const r of values['add-runtime'] ?? []) {
        const eq = r.indexOf('=');
        if (eq <= 0) throw new Error(`invalid runtime: ${r}: expected name=path`);
        c.runtimes[r.slice(0, eq)] = { path: r.slice(eq + 1) };
      }
      if (values['storage-driver']) c.storageDriver = values['storage-driver'];
      if (values.group) c.group = values.group;
      if (values.iptables !== undefined) c.iptables = values.iptables !== 'false';
      if (values['default-shm-size']) c.defaultShmSize = parseByteSize(values['default-shm-size']);
      return c;
    },
  };
}

// dockerd's pool syntax: base=10.10.0.0/16,size=24
function parseAddressPool(s: string): { base: string; size: number } {
  const out: { base?: string; size?: number } = {};
  for (const kv of s.split(',')) {
    const [k, v] = kv.split('=');
    if (k === 'base' && v) out.base = v;
    else if (k === 'size' && v) out.size = Number(v);
    else throw new Error(`invalid default-address-pool: ${s}`);
  }
  if (!out.base || !out.size) throw new Error(`invalid default-address-pool: ${s}: base and size are required`);
  return { base: out.base, size: out.size };
}
