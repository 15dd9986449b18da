// The berth command tree. Each group registers its commands; groups whose
// commands have top-level shortcuts (`ps` = `container ls`) register both.
import { CommandRegistry } from '../command.js';
import { berthVersion } from '../../common/version.js';
import { registerBuildCommands } from './build/index.js';
import { registerContainerCommands } from './container/index.js';
import { registerContextCommands } from './context/index.js';
import { registerImageCommands } from './image/index.js';
import { registerNetworkCommands } from './network/index.js';
import { registerSystemCommands } from './system/index.js';
import { registerVolumeCommands } from './volume/index.js';

export function buildRegistry(): CommandRegistry {
  const registry = new CommandRegistry({
    name: 'berth',
    description: 'A self-sufficient runtime for containers',
    version: `Berth version ${berthVersion}`,
    additionalHelp: "For more help on how to use berth, head to docs/ in berth's repository",
  });
  registerContainerCommands(registry);
  registerImageCommands(registry);
  registerBuildCommands(registry);
  registerNetworkCommands(registry);
  registerVolumeCommands(registry);
  registerContextCommands(registry);
  registerSystemCommands(registry);
  return registry;
}
