// The `network` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';
import { networkConnectCommand, networkDisconnectCommand } from './connect.js';
import { networkCreateCommand } from './create.js';
import { networkInspectCommand } from './inspect.js';
import { networkLsCommand } from './ls.js';
import { networkPruneCommand } from './prune.js';
import { networkRmCommand } from './rm.js';

export function registerNetworkCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'network', description: 'Manage networks' });
  for (const command of [
    networkConnectCommand,
    networkCreateCommand,
    networkDisconnectCommand,
    networkInspectCommand,
    networkLsCommand,
    networkPruneCommand,
    networkRmCommand,
  ]) {
    registry.add(command, { parent: ['network'] });
  }
}
