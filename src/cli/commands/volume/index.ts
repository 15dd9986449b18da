// The `volume` commands of the berth CLI (cluster volumes, and so `volume
// update`, are swarm features berth does not have; docker hides them too
// when the daemon is not a swarm manager).
import type { CommandRegistry } from '../../command.js';
import { volumeCreateCommand } from './create.js';
import { volumeInspectCommand } from './inspect.js';
import { volumeLsCommand } from './ls.js';
import { volumePruneCommand } from './prune.js';
import { volumeRmCommand } from './rm.js';

export function registerVolumeCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'volume', description: 'Manage volumes' });
  for (const command of [volumeCreateCommand, volumeInspectCommand, volumeLsCommand, volumePruneCommand, volumeRmCommand]) {
    registry.add(command, { parent: ['volume'] });
  }
}
