// The `system` commands of the berth CLI, and their top-level forms
// (`version`, `info`, `events`) as docker lists them. Registered lazily (see
// container/index.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const SYSTEM_COMMANDS: readonly LazyCommand[] = [
  { name: 'df', description: 'Show docker disk usage', load: async () => (await import('./df.js')).dfCommand },
  { name: 'events', description: 'Get real time events from the server', load: async () => (await import('./events.js')).eventsCommand },
  { name: 'info', description: 'Display system-wide information', load: async () => (await import('./info.js')).infoCommand },
  { name: 'prune', description: 'Remove unused data', load: async () => (await import('./prune.js')).systemPruneCommand },
];

export function registerSystemCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'system', description: 'Manage Docker' });
  for (const command of SYSTEM_COMMANDS) registry.addLazy(command, { parent: ['system'] });
  registry.addLazy(
    { name: 'version', description: 'Show the Docker version information', load: async () => (await import('./version.js')).versionCommand },
    { common: 11 },
  );
  registry.shortcut('info', ['system', 'info'], { common: 12 });
  registry.shortcut('events', ['system', 'events']);
}
