// The `image` commands of the berth CLI, and their top-level forms
// (`images`, `pull`, `rmi`, ...) where docker lists them. Registered lazily
// (see container/index.ts).
import type { CommandRegistry, LazyCommand } from '../../command.js';

const IMAGE_COMMANDS: readonly LazyCommand[] = [
  { name: 'busybox', description: 'Create a busybox base image from the host (berth extension)', load: async () => (await import('./busybox.js')).imageBusyboxCommand },
  { name: 'history', description: 'Show the history of an image', load: async () => (await import('./history.js')).imageHistoryCommand },
  { name: 'import', description: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./import.js')).imageImportCommand },
  { name: 'inspect', description: 'Display detailed information on one or more images', load: async () => (await import('./inspect.js')).imageInspectCommand },
  { name: 'load', description: 'Load an image from a tar archive or STDIN', load: async () => (await import('./load.js')).imageLoadCommand },
  { name: 'ls', aliases: ['list'], description: 'List images', load: async () => (await import('./ls.js')).imageLsCommand },
  { name: 'prune', description: 'Remove unused images', load: async () => (await import('./prune.js')).imagePruneCommand },
  { name: 'pull', description: 'Download an image from a registry', load: async () => (await import('./pull.js')).imagePullCommand },
  { name: 'push', description: 'Upload an image to a registry', load: async () => (await import('./push.js')).imagePushCommand },
  { name: 'rm', aliases: ['remove'], description: 'Remove one or more images', load: async () => (await import('./rm.js')).imageRmCommand },
  { name: 'save', description: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./save.js')).imageSaveCommand },
  { name: 'tag', description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./tag.js')).imageTagCommand },
];

export function registerImageCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'image', description: 'Manage images' });
  for (const command of IMAGE_COMMANDS) registry.addLazy(command, { parent: ['image'] });
  // docker --help's Common Commands, in docker's order (run, exec, ps, build come first)
  registry.shortcut('pull', ['image', 'pull'], { common: 5 });
  registry.shortcut('push', ['image', 'push'], { common: 6 });
  registry.shortcut('images', ['image', 'ls'], { common: 7 });
  registry.addLazy(
    { name: 'login', description: 'Authenticate to a registry', load: async () => (await import('./login.js')).loginCommand },
    { common: 8 },
  );
  registry.addLazy(
    { name: 'logout', description: 'Log out from a registry', load: async () => (await import('./logout.js')).logoutCommand },
    { common: 9 },
  );
  registry.addLazy(
    { name: 'search', description: 'Search Docker Hub for images', load: async () => (await import('./search.js')).searchCommand },
    { common: 10 },
  );
  // docker --help's Commands
  registry.shortcut('history', ['image', 'history']);
  registry.shortcut('import', ['image', 'import']);
  registry.shortcut('load', ['image', 'load']);
  registry.shortcut('rmi', ['image', 'rm']);
  registry.shortcut('save', ['image', 'save']);
  registry.shortcut('tag', ['image', 'tag']);
}
