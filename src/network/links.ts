// Legacy container links on the default bridge (`--link name[:alias]`): the
// environment variables docker injects (moby daemon/links, Link.ToEnv) and
// the /etc/hosts entries (daemon/container_operations buildSandboxOptions).
import type { HostsEntry } from '../runtime/network-contract.js';

export interface LinkTarget {
  /** The linked container's name, without the leading slash. */
  name: string;
  hostname: string;
  ipv4: string;
  ipv6?: string;
  /** Its exposed ports ("80/tcp"). */
  exposedPorts: string[];
  /** Its Config.Env. */
  env: string[];
}

/** "db:alias" / "/db:/web/alias" / "db" → target name and alias. */
export function parseLink(link: string): { name: string; alias: string } {
  const colon = link.indexOf(':');
  const name = (colon < 0 ? link : link.slice(0, colon)).replace(/^\//, '');
  const aliasPath = colon < 0 ? name : link.slice(colon + 1);
  const alias = aliasPath.slice(aliasPath.lastIndexOf('/') + 1);
  return { name, alias };
}

interface PortEntry {
  port: number;
  proto: string;
}

function sortPorts(ports: PortEntry[]): PortEntry[] {
  // nat.Sort with docker's tcp priority: by number, tcp first on ties.
  return [...ports].sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto < b.proto ? -1 : 1));
}

/** The variables a container linked to `target` as `alias` gets (parent: the linking container's name). */
export function linkEnv(parent: string, alias: string, target: LinkTarget): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, '_');
  const ip = target.ipv4;
  const ports = sortPorts(
    target.exposedPorts.flatMap((k) => {
      const [p, proto = 'tcp'] = k.split('/');
      const n = Number(p);
      return Number.isInteger(n) ? [{ port: n, proto: proto.toLowerCase() }] : [];
    }),
  );
  const env: string[] = [];
  if (ports.length) env.push(`${prefix}_PORT=${ports[0]!.proto}://${ip}:${ports[0]!.port}`);
  // Runs of three or more consecutive ports of one protocol also get
  // _START/_END variables (dockerd 20.10 gives none for 80 and 81 alone).
  for (const proto of [...new Set(ports.map((p) => p.proto))]) {
    const same = ports.filter((p) => p.proto === proto);
    let i = 0;
    while (i < same.length) {
      let j = i;
      while (j + 1 < same.length && same[j + 1]!.port === same[j]!.port + 1) j++;
      if (j > i + 1) {
        const first = same[i]!;
        const last = same[j]!;
        const base = `${prefix}_PORT_${first.port}_${proto.toUpperCase()}`;
        env.push(`${base}_START=${proto}://${ip}:${first.port}`);
        env.push(`${base}_ADDR=${ip}`);
        env.push(`${base}_PORT_START=${first.port}`);
        env.push(`${base}_PROTO=${proto}`);
        env.push(`${base}_END=${proto}://${ip}:${last.port}`);
        env.push(`${base}_PORT_END=${last.port}`);
      }
      i = j + 1;
    }
  }
  for (const p of ports) {
    const base = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${base}=${p.proto}://${ip}:${p.port}`);
    env.push(`${base}_ADDR=${ip}`);
    env.push(`${base}_PORT=${p.port}`);
    env.push(`${base}_PROTO=${p.proto}`);
  }
  env.push(`${prefix}_NAME=/${parent}/${alias}`);
  for (const v of target.env) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    // docker leaves out what builds set on every image.
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${prefix}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

/** /etc/hosts lines for a link: the alias, the target's hostname, and its name when it differs from the alias. */
export function linkHostsEntries(alias: string, target: LinkTarget): HostsEntry[] {
  const names = [alias, target.hostname];
  if (alias !== target.name) names.push(target.name);
  const out = [{ ip: target.ipv4, names }];
  if (target.ipv6) out.push({ ip: target.ipv6, names });
  return out;
}
