// The `context` commands of the berth CLI: docker's contexts, in the same
// files (~/.docker/contexts, currentContext in config.json), so berth and the
// docker CLI see each other's contexts.
import type { CommandRegistry } from '../../command.js';
import { contextCreateCommand, contextUpdateCommand } from './create.js';
import { contextExportCommand, contextImportCommand } from './export.js';
import { contextInspectCommand } from './inspect.js';
import { contextLsCommand } from './ls.js';
import { contextRmCommand } from './rm.js';
import { contextShowCommand, contextUseCommand } from './use.js';

export function registerContextCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'context', description: 'Manage contexts' });
  for (const command of [
    contextCreateCommand,
    contextExportCommand,
    contextImportCommand,
    contextInspectCommand,
    contextLsCommand,
    contextRmCommand,
    contextShowCommand,
    contextUpdateCommand,
    contextUseCommand,
  ]) {
    registry.add(command, { parent: ['context'] });
  }
}
