// The `network` commands of the berth CLI. Registered lazily (see
// container/index.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const NETWORK_COMMANDS: readonly LazyCommand[] = [
  { name: 'connect', description: 'Connect a container to a network', load: async () => (await import('./connect.js')).networkConnectCommand },
  { name: 'create', description: 'Create a network', load: async () => (await import('./create.js')).networkCreateCommand },
  { name: 'disconnect', description: 'Disconnect a container from a network', load: async () => (await import('./connect.js')).networkDisconnectCommand },
  { name: 'inspect', description: 'Display detailed information on one or more networks', load: async () => (await import('./inspect.js')).networkInspectCommand },
  { name: 'ls', aliases: ['list'], description: 'List networks', load: async () => (await import('./ls.js')).networkLsCommand },
  { name: 'prune', description: 'Remove all unused networks', load: async () => (await import('./prune.js')).networkPruneCommand },
  { name: 'rm', aliases: ['remove'], description: 'Remove one or more networks', load: async () => (await import('./rm.js')).networkRmCommand },
];

export function registerNetworkCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'network', description: 'Manage networks' });
  for (const command of NETWORK_COMMANDS) registry.addLazy(command, { parent: ['network'] });
}
