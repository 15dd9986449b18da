// The `network` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerNetworkCommands(registry: CommandRegistry): void {
  void registry;
}
