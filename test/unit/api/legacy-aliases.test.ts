// Aliases before API 1.45 (moby api/server/router/container inspect): the
// short ID and hostname join the aliases on user-defined networks only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addLegacyAliases } from '../../../src/api/containers/routes.js';

describe('Aliases for API < 1.45', () => {
  it('adds the short ID and hostname on user networks, once each', () => {
    const id = 'abcdef0123456789'.repeat(4);
    const view: Record<string, unknown> = {
      NetworkSettings: {
        Networks: {
          bridge: { Aliases: null },
          app: { Aliases: ['web', 'abcdef012345'] },
          other: { Aliases: null },
        },
      },
    };
    addLegacyAliases(view, id, 'abcdef012345');
    const nets = (view.NetworkSettings as { Networks: Record<string, { Aliases: string[] | null }> }).Networks;
    assert.equal(nets.bridge!.Aliases, null);
    assert.deepEqual(nets.app!.Aliases, ['web', 'abcdef012345']);
    assert.deepEqual(nets.other!.Aliases, ['abcdef012345']);
  });
});
