// The `build` commands of the berth CLI: `image build` with its other names
// (`build`, `builder build`, listed in that order as docker lists them), and
// the `builder` group with `prune`. Registered lazily (see
// container/index.ts): names and descriptions must match the specs.
import type { CommandRegistry } from '../../command.js';

export function registerBuildCommands(registry: CommandRegistry): void {
  registry.addLazy(
    { name: 'build', description: 'Build an image from a Dockerfile', load: async () => (await import('./build.js')).buildCommand },
    { parent: ['image'] },
  );
  // docker --help's Common Commands: run, exec, ps, build, pull, ...
  registry.shortcut('build', ['image', 'build'], { common: 4 });
  registry.addGroup({ name: 'builder', description: 'Manage builds' });
  registry.shortcut('build', ['image', 'build'], { parent: ['builder'] });
  registry.addLazy(
    { name: 'prune', description: 'Remove build cache', load: async () => (await import('./prune.js')).builderPruneCommand },
    { parent: ['builder'] },
  );
}
