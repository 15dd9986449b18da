// The `build` commands of the berth CLI: `image build` with its other names
// (`build`, `builder build`, as docker lists them in that order), and the
// `builder` group with `prune`.
import type { CommandRegistry } from '../../command.js';
import { buildCommand } from './build.js';
import { builderPruneCommand } from './prune.js';

export function registerBuildCommands(registry: CommandRegistry): void {
  registry.add(buildCommand, { parent: ['image'] });
  // docker --help's Common Commands: run, exec, ps, build, pull, ...
  registry.shortcut('build', ['image', 'build'], { common: 4 });
  registry.addGroup({ name: 'builder', description: 'Manage builds' });
  // docker lists `builder build` among image build's aliases too; until the
  // registry can file a shortcut under a group, it is registered as its own command.
  registry.add(buildCommand, { parent: ['builder'] });
  registry.add(builderPruneCommand, { parent: ['builder'] });
}
