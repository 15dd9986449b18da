// The `image` commands of the berth CLI.
import type { CommandRegistry } from '../../command.js';

export function registerImageCommands(registry: CommandRegistry): void {
  void registry;
}
