// The `system` commands of the berth CLI, and their top-level forms
// (`version`, `info`, `events`) as docker lists them.
import type { CommandRegistry } from '../../command.js';
import { dfCommand } from './df.js';
import { eventsCommand } from './events.js';
import { infoCommand } from './info.js';
import { systemPruneCommand } from './prune.js';
import { versionCommand } from './version.js';

export function registerSystemCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'system', description: 'Manage Docker' });
  for (const command of [dfCommand, eventsCommand, infoCommand, systemPruneCommand]) registry.add(command, { parent: ['system'] });
  registry.add(versionCommand, { common: 11 });
  registry.shortcut('info', ['system', 'info'], { common: 12 });
  registry.shortcut('events', ['system', 'events']);
}
