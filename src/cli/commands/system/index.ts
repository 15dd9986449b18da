// The `system` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerSystemCommands(registry: CommandRegistry): void {
  void registry;
}
