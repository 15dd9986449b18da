// The `context` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerContextCommands(registry: CommandRegistry): void {
  void registry;
}
