// The `volume` commands of the berth CLI (cluster volumes, and so `volume
// update`, are swarm features berth does not have; docker hides them too
// when the daemon is not a swarm manager). Registered lazily (see
// container/index.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const VOLUME_COMMANDS: readonly LazyCommand[] = [
  { name: 'create', description: 'Create a volume', load: async () => (await import('./create.js')).volumeCreateCommand },
  { name: 'inspect', description: 'Display detailed information on one or more volumes', load: async () => (await import('./inspect.js')).volumeInspectCommand },
  { name: 'ls', aliases: ['list'], description: 'List volumes', load: async () => (await import('./ls.js')).volumeLsCommand },
  { name: 'prune', description: 'Remove unused local volumes', load: async () => (await import('./prune.js')).volumePruneCommand },
  { name: 'rm', aliases: ['remove'], description: 'Remove one or more volumes', load: async () => (await import('./rm.js')).volumeRmCommand },
];

export function registerVolumeCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'volume', description: 'Manage volumes' });
  for (const command of VOLUME_COMMANDS) registry.addLazy(command, { parent: ['volume'] });
}
