// The `build` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerBuildCommands(registry: CommandRegistry): void {
  void registry;
}
