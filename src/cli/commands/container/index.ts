// The `container` commands of the berth CLI, and their top-level forms
// (`run`, `ps`, `rm`, ...) where docker lists them.
import type { CommandRegistry } from '../../command.js';
import { attachCommand } from './attach.js';
import { commitCommand } from './commit.js';
import { cpCommand } from './cp.js';
import { createCommand } from './create.js';
import { diffCommand } from './diff.js';
import { execCommand } from './exec.js';
import { exportCommand } from './export.js';
import { containerInspectCommand, inspectCommand } from './inspect.js';
import { killCommand } from './kill.js';
import { logsCommand } from './logs.js';
import { containerLsCommand } from './ls.js';
import { pauseCommand, unpauseCommand } from './pause.js';
import { portCommand } from './port.js';
import { containerPruneCommand } from './prune.js';
import { renameCommand } from './rename.js';
import { restartCommand } from './restart.js';
import { rmCommand } from './rm.js';
import { runCommand } from './run.js';
import { startCommand } from './start.js';
import { statsCommand } from './stats.js';
import { stopCommand } from './stop.js';
import { topCommand } from './top.js';
import { updateCommand } from './update.js';
import { waitCommand } from './wait.js';

export function registerContainerCommands(registry: CommandRegistry): void {
  registry.addGroup({ name: 'container', description: 'Manage containers' });
  for (const command of [
    attachCommand,
    commitCommand,
    cpCommand,
    createCommand,
    diffCommand,
    execCommand,
    exportCommand,
    containerInspectCommand,
    killCommand,
    logsCommand,
    containerLsCommand,
    pauseCommand,
    portCommand,
    containerPruneCommand,
    renameCommand,
    restartCommand,
    rmCommand,
    runCommand,
    startCommand,
    statsCommand,
    stopCommand,
    topCommand,
    unpauseCommand,
    updateCommand,
    waitCommand,
  ]) {
    registry.add(command, { parent: ['container'] });
  }
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
  registry.add(inspectCommand);
}
