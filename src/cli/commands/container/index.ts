// The `container` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerContainerCommands(registry: CommandRegistry): void {
  void registry;
}
