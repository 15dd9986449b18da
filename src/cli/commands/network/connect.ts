// berth network connect / disconnect: POST /networks/{id}/connect and
// /disconnect with the endpoint settings docker's CLI builds.
import { defineCommand, exactArgs, StatusError } from '../../command.js';
import { FlagValueError } from '../../flags.js';
import { apiClient, withDaemon } from '../../session.js';
import { pathEscape } from '../../shared-options.js';

/** docker's opts.ValidateLink: "name" or "name:alias". */
function validateLink(value: string): string {
  if (value === '') throw new FlagValueError('empty string specified for links');
  if (value.split(':').length > 2) throw new FlagValueError(`bad format for links: ${value}`);
  return value;
}

/** docker's convertDriverOpt: "k=v" pairs to a map. */
function driverOptions(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) throw new StatusError('invalid key/value pair format in driver options', 1);
    out[value.slice(0, eq).trim()] = value.slice(eq + 1).trim();
  }
  return out;
}

export const networkConnectCommand = defineCommand({
  name: 'connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  flags: {
    alias: { type: 'stringSlice', usage: 'Add network-scoped alias for the container' },
    'driver-opt': { type: 'stringSlice', usage: 'driver options for the network' },
    'gw-priority': { type: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    ip: { type: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    ip6: { type: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    link: { type: 'list', usage: 'Add link to another container', validate: validateLink },
    'link-local-ip': { type: 'stringSlice', usage: 'Add a link-local address for the container' },
  },
  args: exactArgs(2),
  async run(ctx) {
    const [network, container] = ctx.args as [string, string];
    const ipamConfig: Record<string, unknown> = {};
    if (ctx.flags.ip) ipamConfig.IPv4Address = ctx.flags.ip;
    if (ctx.flags.ip6) ipamConfig.IPv6Address = ctx.flags.ip6;
    if (ctx.flags['link-local-ip'].length > 0) ipamConfig.LinkLocalIPs = ctx.flags['link-local-ip'];
    const endpoint: Record<string, unknown> = {
      IPAMConfig: ipamConfig,
      Links: ctx.flags.link.length > 0 ? ctx.flags.link : null,
      Aliases: ctx.flags.alias.length > 0 ? ctx.flags.alias : null,
      DriverOpts: ctx.flags['driver-opt'].length > 0 ? driverOptions(ctx.flags['driver-opt']) : null,
    };
    if (ctx.flags['gw-priority'] !== 0) endpoint.GwPriority = ctx.flags['gw-priority'];
    await withDaemon(() =>
      apiClient(ctx).call('POST', `/networks/${pathEscape(network)}/connect`, { body: { Container: container, EndpointConfig: endpoint } }),
    );
    return 0;
  },
});

export const networkDisconnectCommand = defineCommand({
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force the container to disconnect from a network' },
  },
  args: exactArgs(2),
  async run(ctx) {
    const [network, container] = ctx.args as [string, string];
    await withDaemon(() =>
      apiClient(ctx).call('POST', `/networks/${pathEscape(network)}/disconnect`, { body: { Container: container, Force: ctx.flags.force } }),
    );
    return 0;
  },
});
