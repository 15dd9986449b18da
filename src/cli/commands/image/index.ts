// The `image` commands of the berth CLI, and their top-level forms
// (`images`, `pull`, `rmi`, ...) where docker lists them.
import type { CommandRegistry } from '../../command.js';
import { imageLsCommand } from './ls.js';

export function registerImageCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'image', description: 'Manage images' });
  registry.add(imageLsCommand, { parent: ['image'] });
  registry.shortcut('images', ['image', 'ls'], { common: 7 });
}
