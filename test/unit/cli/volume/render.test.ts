// volume ls rendering without a daemon: docker 28.2.2's output for the same
// volumes (recorded with the fake daemon in ../image/listing.test.ts), kept
// here so the table rules are checked even where the docker CLI is absent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderVolumes } from '../../../../src/cli/commands/volume/ls.js';

const VOLUMES = [
  { Driver: 'local', Labels: { a: '1' }, Mountpoint: '/v/vol10/_data', Name: 'vol10', Scope: 'local' },
  { Driver: 'local', Labels: null, Mountpoint: '/v/vol9/_data', Name: 'vol9', Scope: 'local', UsageData: { Size: 2048, RefCount: 1 } },
];

describe('volume ls', () => {
  it('default table, natural order', () => {
    assert.equal(renderVolumes(VOLUMES, { format: 'table', quiet: false }), 'DRIVER    VOLUME NAME\nlocal     vol9\nlocal     vol10\n');
  });
  it('-q and raw', () => {
    assert.equal(renderVolumes(VOLUMES, { format: 'table', quiet: true }), 'vol9\nvol10\n');
    assert.equal(renderVolumes(VOLUMES, { format: 'raw', quiet: false }), 'name: vol9\ndriver: local\n\nname: vol10\ndriver: local\n\n');
  });
  it('json rows (formatter.MarshalJSON: every field, sorted)', () => {
    assert.equal(
      renderVolumes(VOLUMES.slice(1), { format: 'json', quiet: false }),
      '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"1","Mountpoint":"/v/vol9/_data","Name":"vol9","Scope":"local","Size":"2.048kB","Status":"N/A"}\n',
    );
  });
  it('a misspelt field fails as docker reports it', () => {
    assert.throws(() => renderVolumes(VOLUMES, { format: '{{.Nope}}', quiet: false }), {
      message: 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.volumeContext',
    });
  });
});
