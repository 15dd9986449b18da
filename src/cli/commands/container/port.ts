// berth port / berth container port: the published ports from the
// container's inspect data, naturally sorted (docker/cli port.go).
import { defineCommand, rangeArgs, StatusError } from '../../command.js';
import { apiClient, withDaemon } from '../../session.js';
import { inspectContainer } from './container-api.js';

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a[i]!;
    const cb = b[j]!;
    const da = ca >= '0' && ca <= '9';
    const db = cb >= '0' && cb <= '9';
    if (da && db) {
      let ei = i;
      while (ei < a.length && a[ei]! >= '0' && a[ei]! <= '9') ei++;
      let ej = j;
      while (ej < b.length && b[ej]! >= '0' && b[ej]! <= '9') ej++;
      const na = a.slice(i, ei).replace(/^0+/, '');
      const nb = b.slice(j, ej).replace(/^0+/, '');
      if (na.length !== nb.length) return na.length < nb.length;
      if (na !== nb) return na < nb;
      if (ei - i !== ej - j) return ei - i < ej - j;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb;
    i++;
    j++;
  }
  return a.length - i < b.length - j;
}

export const portCommand = defineCommand({
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  flags: {},
  args: rangeArgs(1, 2),
  async run(ctx) {
    const name = ctx.args[0]!;
    const c = await withDaemon(() => inspectContainer(apiClient(ctx), name));
    const ports = c.NetworkSettings?.Ports ?? {};
    const out: string[] = [];
    const wanted = ctx.args[1];
    if (wanted !== undefined) {
      const slash = wanted.indexOf('/');
      const port = slash < 0 ? wanted : wanted.slice(0, slash);
      const proto = slash < 0 || wanted.slice(slash + 1) === '' ? 'tcp' : wanted.slice(slash + 1);
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        const reason = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
        throw new StatusError(`Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${reason}`, 1);
      }
      const frontends = ports[`${port}/${proto}`];
      if (!frontends || frontends.length === 0) throw new StatusError(`Error: No public port '${wanted}' published for ${name}`, 1);
      for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, frontends] of Object.entries(ports)) {
        for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
      }
    }
    if (out.length > 0) {
      out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
      ctx.stdout.write(`${out.join('\n')}\n`);
    }
    return 0;
  },
});
