// The `container` commands of the berth CLI, and their top-level forms
// (`run`, `ps`, `rm`, ...) where docker lists them. Registered lazily: a
// command's module is imported only when that command runs (see docs/cli.md),
// so names and descriptions here must match each command's spec (checked by
// test/unit/cli/registry.test.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const CONTAINER_COMMANDS: readonly LazyCommand[] = [
  { name: 'attach', description: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./attach.js')).attachCommand },
  { name: 'commit', description: "Create a new image from a container's changes", load: async () => (await import('./commit.js')).commitCommand },
  { name: 'cp', description: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./cp.js')).cpCommand },
  { name: 'create', description: 'Create a new container', load: async () => (await import('./create.js')).createCommand },
  { name: 'diff', description: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./diff.js')).diffCommand },
  { name: 'exec', description: 'Execute a command in a running container', load: async () => (await import('./exec.js')).execCommand },
  { name: 'export', description: "Export a container's filesystem as a tar archive", load: async () => (await import('./export.js')).exportCommand },
  { name: 'inspect', description: 'Display detailed information on one or more containers', load: async () => (await import('./inspect.js')).containerInspectCommand },
  { name: 'kill', description: 'Kill one or more running containers', load: async () => (await import('./kill.js')).killCommand },
  { name: 'logs', description: 'Fetch the logs of a container', load: async () => (await import('./logs.js')).logsCommand },
  { name: 'ls', aliases: ['list', 'ps'], description: 'List containers', load: async () => (await import('./ls.js')).containerLsCommand },
  { name: 'pause', description: 'Pause all processes within one or more containers', load: async () => (await import('./pause.js')).pauseCommand },
  { name: 'port', description: 'List port mappings or a specific mapping for the container', load: async () => (await import('./port.js')).portCommand },
  { name: 'prune', description: 'Remove all stopped containers', load: async () => (await import('./prune.js')).containerPruneCommand },
  { name: 'rename', description: 'Rename a container', load: async () => (await import('./rename.js')).renameCommand },
  { name: 'restart', description: 'Restart one or more containers', load: async () => (await import('./restart.js')).restartCommand },
  { name: 'rm', aliases: ['remove'], description: 'Remove one or more containers', load: async () => (await import('./rm.js')).rmCommand },
  { name: 'run', description: 'Create and run a new container from an image', load: async () => (await import('./run.js')).runCommand },
  { name: 'start', description: 'Start one or more stopped containers', load: async () => (await import('./start.js')).startCommand },
  { name: 'stats', description: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./stats.js')).statsCommand },
  { name: 'stop', description: 'Stop one or more running containers', load: async () => (await import('./stop.js')).stopCommand },
  { name: 'top', description: 'Display the running processes of a container', load: async () => (await import('./top.js')).topCommand },
  { name: 'unpause', description: 'Unpause all processes within one or more containers', load: async () => (await import('./pause.js')).unpauseCommand },
  { name: 'update', description: 'Update configuration of one or more containers', load: async () => (await import('./update.js')).updateCommand },
  { name: 'wait', description: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./wait.js')).waitCommand },
];

export function registerContainerCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'container', description: 'Manage containers' });
  for (const command of CONTAINER_COMMANDS) registry.addLazy(command, { parent: ['container'] });
  // docker --help's Common Commands: run, exec, ps come first.
  registry.shortcut('run', ['container', 'run'], { common: 1 });
  registry.shortcut('exec', ['container', 'exec'], { common: 2 });
  registry.shortcut('ps', ['container', 'ls'], { common: 3 });
  for (const name of [
    'attach', 'commit', 'cp', 'create', 'diff', 'export', 'kill', 'logs', 'pause', 'port', 'rename', 'restart', 'rm', 'start', 'stats', 'stop',
    'top', 'unpause', 'update', 'wait',
  ]) {
    registry.shortcut(name, ['container', name]);
  }
  // `inspect` at the top level inspects any kind of object.
  registry.addLazy({
    name: 'inspect',
    description: 'Return low-level information on Docker objects',
    load: async () => (await import('./inspect.js')).inspectCommand,
  });
}
