// The `volume` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerVolumeCommands(registry: CommandRegistry): void {
  void registry;
}
