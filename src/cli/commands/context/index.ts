// The `context` commands of the berth CLI: docker's contexts, in the same
// files (~/.docker/contexts, currentContext in config.json), so berth and the
// docker CLI see each other's contexts. Registered lazily (see
// container/index.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const CONTEXT_COMMANDS: readonly LazyCommand[] = [
  { name: 'create', description: 'Create a context', load: async () => (await import('./create.js')).contextCreateCommand },
  { name: 'export', description: 'Export a context to a tar archive FILE or a tar stream on STDOUT.', load: async () => (await import('./export.js')).contextExportCommand },
  { name: 'import', description: 'Import a context from a tar or zip file', load: async () => (await import('./export.js')).contextImportCommand },
  { name: 'inspect', description: 'Display detailed information on one or more contexts', load: async () => (await import('./inspect.js')).contextInspectCommand },
  { name: 'ls', aliases: ['list'], description: 'List contexts', load: async () => (await import('./ls.js')).contextLsCommand },
  { name: 'rm', aliases: ['remove'], description: 'Remove one or more contexts', load: async () => (await import('./rm.js')).contextRmCommand },
  { name: 'show', description: 'Print the name of the current context', load: async () => (await import('./use.js')).contextShowCommand },
  { name: 'update', description: 'Update a context', load: async () => (await import('./create.js')).contextUpdateCommand },
  { name: 'use', description: 'Set the current docker context', load: async () => (await import('./use.js')).contextUseCommand },
];

export function registerContextCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'context', description: 'Manage contexts' });
  for (const command of CONTEXT_COMMANDS) registry.addLazy(command, { parent: ['context'] });
}
