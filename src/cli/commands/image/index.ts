// The `image` commands of the berth CLI, and their top-level forms
// (`images`, `pull`, `rmi`, ...) where docker lists them.
import type { CommandRegistry } from '../../command.js';
import { imageBusyboxCommand } from './busybox.js';
import { imageHistoryCommand } from './history.js';
import { imageImportCommand } from './import.js';
import { imageInspectCommand } from './inspect.js';
import { imageLoadCommand } from './load.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { imageLsCommand } from './ls.js';
import { imagePruneCommand } from './prune.js';
import { imagePullCommand } from './pull.js';
import { imagePushCommand } from './push.js';
import { imageRmCommand } from './rm.js';
import { imageSaveCommand } from './save.js';
import { searchCommand } from './search.js';
import { imageTagCommand } from './tag.js';

export function registerImageCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'image', description: 'Manage images' });
  for (const command of [
    imageBusyboxCommand,
    imageHistoryCommand,
    imageImportCommand,
    imageInspectCommand,
    imageLoadCommand,
    imageLsCommand,
    imagePruneCommand,
    imagePullCommand,
    imagePushCommand,
    imageRmCommand,
    imageSaveCommand,
    imageTagCommand,
  ]) {
    registry.add(command, { parent: ['image'] });
  }
  // docker --help's Common Commands, in docker's order (run, exec, ps, build come first)
  registry.shortcut('pull', ['image', 'pull'], { common: 5 });
  registry.shortcut('push', ['image', 'push'], { common: 6 });
  registry.shortcut('images', ['image', 'ls'], { common: 7 });
  registry.add(loginCommand, { common: 8 });
  registry.add(logoutCommand, { common: 9 });
  registry.add(searchCommand, { common: 10 });
  // docker --help's Commands
  registry.shortcut('history', ['image', 'history']);
  registry.shortcut('import', ['image', 'import']);
  registry.shortcut('load', ['image', 'load']);
  registry.shortcut('rmi', ['image', 'rm']);
  registry.shortcut('save', ['image', 'save']);
  registry.shortcut('tag', ['image', 'tag']);
}
