// The mount grammar as dockerd's Linux parser has it. Expectations: moby
// volume/mounts/linux_parser_test.go (TestLinuxParseMountRaw,
// TestLinuxParseMountRawSplit, TestConvertTmpfsOptions: same inputs, their
// expected message fragments), and full messages observed from dockerd
// 20.10.24 on this machine (`docker create` through CLI 28.2.2) where marked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindNeedsSlavePropagation,
  convertTmpfsOptions,
  errDuplicateMountPoint,
  parseBind,
  parseMountSpec,
  parseVolumesFrom,
  validMountMode,
  validateBindOptions,
  validateMountConfig,
  type HostPaths,
} from '../../../src/volume/parser.js';
import type { Mount } from '../../../src/runtime/mount-contract.js';
import { EngineError } from '../../../src/common/errors.js';

// moby's mockFiProvider: every path "exists" for ParseMountRaw; for specs we say which.
const hostWith = (...paths: string[]): HostPaths => ({ exists: (p) => paths.includes(p) });

function errorOf(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EngineError, `not an EngineError: ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

test('valid -v specifications (TestLinuxParseMountRaw)', () => {
  const valid = [
    '/home',
    '/home:/home',
    '/home:/something/else',
    '/with space',
    '/home:/with space',
    'relative:/absolute-path',
    'hostPath:/containerPath:ro',
    '/hostPath:/containerPath:rw',
    '/rw:/ro',
    '/hostPath:/containerPath:shared',
    '/hostPath:/containerPath:rshared',
    '/hostPath:/containerPath:slave',
    '/hostPath:/containerPath:rslave',
    '/hostPath:/containerPath:private',
    '/hostPath:/containerPath:rprivate',
    '/hostPath:/containerPath:ro,shared',
    '/hostPath:/containerPath:ro,slave',
    '/hostPath:/containerPath:ro,private',
    '/hostPath:/containerPath:ro,z,shared',
    '/hostPath:/containerPath:ro,Z,slave',
    '/hostPath:/containerPath:Z,ro,slave',
    '/hostPath:/containerPath:slave,Z,ro',
    '/hostPath:/containerPath:Z,slave,ro',
    '/hostPath:/containerPath:slave,ro,Z',
    '/hostPath:/containerPath:rslave,ro,Z',
    '/hostPath:/containerPath:ro,rshared,Z',
    '/hostPath:/containerPath:ro,Z,rprivate',
    // Copy and consistency modes.
    'name:/data:nocopy',
    'name:/data:ro,nocopy',
    '/host:/data:cached',
    '/host:/data:delegated,ro',
  ];
  for (const spec of valid) assert.doesNotThrow(() => parseBind(spec, 'local'), spec);
});

test('invalid -v specifications and their messages (TestLinuxParseMountRaw)', () => {
  const invalid: Record<string, string> = {
    '': 'invalid volume specification',
    './': 'mount path must be absolute',
    '../': 'mount path must be absolute',
    '/:../': 'mount path must be absolute',
    '/:path': 'mount path must be absolute',
    ':': 'invalid volume specification',
    '/tmp:': 'invalid volume specification',
    ':test': 'invalid volume specification',
    ':/test': 'invalid volume specification',
    'tmp:': 'invalid volume specification',
    ':test:': 'invalid volume specification',
    '::': 'invalid volume specification',
    ':::': 'invalid volume specification',
    '/tmp:::': 'invalid volume specification',
    ':/tmp::': 'invalid volume specification',
    '/path:rw': 'invalid volume specification',
    '/path:ro': 'invalid volume specification',
    '/rw:rw': 'invalid volume specification',
    'path:ro': 'invalid volume specification',
    '/path:/path:sw': 'invalid mode',
    '/path:/path:rwz': 'invalid mode',
    '/path:/path:ro,rshared,rslave': 'invalid mode',
    '/path:/path:ro,z,rshared,rslave': 'invalid mode',
    '/path:shared': 'invalid volume specification',
    '/path:slave': 'invalid volume specification',
    '/path:private': 'invalid volume specification',
    'name:/absolute-path:shared': 'invalid volume specification',
    'name:/absolute-path:rshared': 'invalid volume specification',
    'name:/absolute-path:slave': 'invalid volume specification',
    'name:/absolute-path:rslave': 'invalid volume specification',
    'name:/absolute-path:private': 'invalid volume specification',
    'name:/absolute-path:rprivate': 'invalid volume specification',
    // Beyond moby's table.
    '/a:/b:ro:extra': 'invalid volume specification',
    '/a:/b:ro,rw': 'invalid mode',
    '/a:/b:z,Z': 'invalid mode',
    '/a:/b:copy': 'invalid mode',
    '/': "destination can't be '/'",
  };
  for (const [spec, fragment] of Object.entries(invalid)) {
    const err = errorOf(() => parseBind(spec, 'local'));
    assert.equal(err.kind, 'invalid-parameter', spec);
    assert.ok(err.message.includes(fragment), `${JSON.stringify(spec)}: ${err.message} should contain ${fragment}`);
  }
});

test('full messages as dockerd 20.10.24 answered them', () => {
  const cases: Array<[string, string]> = [
    ['/tmp/x:/x:xyz', 'invalid mode: xyz'],
    ['/x:rw', "invalid volume specification: '/x:rw'"],
    ['/data:/data:nocopy', `invalid volume specification: '/data:/data:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`],
    ['aa:/data:shared', `invalid volume specification: 'aa:/data:shared': invalid mount config for type "volume": field BindOptions must not be specified`],
    ['/:/data:ro,shared,slave', 'invalid mode: ro,shared,slave'],
    ['aa:/', `invalid volume specification: 'aa:/': invalid mount config for type "volume": invalid specification: destination can't be '/'`],
    ['./', `invalid volume specification: './': invalid mount config for type "volume": invalid mount path: './' mount path must be absolute`],
    ['', "invalid volume specification: ''"],
  ];
  for (const [spec, message] of cases) assert.equal(errorOf(() => parseBind(spec)).message, message, spec);
});

test('how -v entries split (TestLinuxParseMountRawSplit)', () => {
  const cases: Array<{ bind: string; driver: string; type?: string; dest?: string; source?: string; name?: string; drv?: string; rw?: boolean; fail?: boolean }> = [
    { bind: '/tmp:/tmp1', driver: '', type: 'bind', dest: '/tmp1', source: '/tmp', name: '', drv: '', rw: true },
    { bind: '/tmp:/tmp2:ro', driver: '', type: 'bind', dest: '/tmp2', source: '/tmp', name: '', drv: '', rw: false },
    { bind: '/tmp:/tmp3:rw', driver: '', type: 'bind', dest: '/tmp3', source: '/tmp', name: '', drv: '', rw: true },
    { bind: '/tmp:/tmp4:foo', driver: '', fail: true },
    { bind: 'name:/named1', driver: '', type: 'volume', dest: '/named1', source: '', name: 'name', drv: '', rw: true },
    { bind: 'name:/named2', driver: 'external', type: 'volume', dest: '/named2', source: '', name: 'name', drv: 'external', rw: true },
    { bind: 'name:/named3:ro', driver: 'local', type: 'volume', dest: '/named3', source: '', name: 'name', drv: 'local', rw: false },
    { bind: 'local/name:/tmp:rw', driver: '', type: 'volume', dest: '/tmp', source: '', name: 'local/name', drv: '', rw: true },
    { bind: '/tmp:tmp', driver: '', fail: true },
  ];
  for (const c of cases) {
    if (c.fail) {
      assert.throws(() => parseBind(c.bind, c.driver), EngineError, c.bind);
      continue;
    }
    const m = parseBind(c.bind, c.driver);
    assert.equal(m.Type, c.type, c.bind);
    assert.equal(m.Destination, c.dest, c.bind);
    assert.equal(m.Source, c.source, c.bind);
    assert.equal(m.Name, c.name, c.bind);
    assert.equal(m.Driver, c.drv, c.bind);
    assert.equal(m.RW, c.rw, c.bind);
  }
});

test('-v details: mode kept, rprivate default for binds, nocopy, cleaned paths, anonymous', () => {
  const bind = parseBind('/host/dir/:/ctr/dir/:ro,z');
  assert.equal(bind.Source, '/host/dir');
  assert.equal(bind.Destination, '/ctr/dir');
  assert.equal(bind.Mode, 'ro,z');
  assert.equal(bind.Propagation, 'rprivate');
  assert.equal(bind.RW, false);
  assert.equal(parseBind('/h:/c:rslave').Propagation, 'rslave');
  assert.deepEqual(parseBind('/h:/c:rslave').Spec.BindOptions, { Propagation: 'rslave' });
  assert.equal(parseBind('/h:/c').Spec.BindOptions, undefined);

  const vol = parseBind('data:/var/lib/data');
  assert.equal(vol.Type, 'volume');
  assert.equal(vol.Name, 'data');
  assert.equal(vol.Propagation, '');
  assert.equal(vol.CopyData, true);
  assert.equal(vol.Mode, '');
  const nocopy = parseBind('data:/var/lib/data:nocopy');
  assert.equal(nocopy.CopyData, false);
  assert.equal(nocopy.RW, true);
  assert.deepEqual(nocopy.Spec.VolumeOptions, { NoCopy: true });
  assert.deepEqual(parseBind('data:/d:nocopy', 'local').Spec.VolumeOptions, { DriverConfig: { Name: 'local' }, NoCopy: true });

  const anon = parseBind('/data');
  assert.equal(anon.Type, 'volume');
  assert.equal(anon.Name, '');
  assert.equal(anon.Spec.Source, undefined);
  assert.equal(anon.Destination, '/data');
});

test('valid mount modes', () => {
  assert.ok(validMountMode(''));
  assert.ok(validMountMode('ro,Z,rslave,nocopy,cached'));
  assert.ok(!validMountMode('ro,ro'));
  assert.ok(!validMountMode('RO'));
  assert.ok(!validMountMode(','));
});

test('--mount validation (validateMountConfigImpl) with dockerd messages', () => {
  const host = hostWith('/exists');
  const cases: Array<[Mount, string]> = [
    [{ Type: 'bind', Source: '/nope', Target: '/x' }, 'invalid mount config for type "bind": bind source path does not exist: /nope'],
    [{ Type: 'bind', Target: '/x' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: 'bind', Source: 'rel', Target: '/x' }, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'bind', Source: '/exists', Target: '' }, 'invalid mount config for type "bind": field Target must not be empty'],
    [{ Type: 'bind', Source: '/exists', Target: '/' }, `invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    [{ Type: 'bind', Source: '/exists', Target: 'x' }, `invalid mount config for type "bind": invalid mount path: 'x' mount path must be absolute`],
    [{ Type: 'bind', Source: '/exists', Target: '/x', BindOptions: { Propagation: 'bogus' as 'shared' } }, 'invalid mount config for type "bind": invalid propagation mode: bogus'],
    [{ Type: 'bind', Source: '/exists', Target: '/x', VolumeOptions: {} }, 'invalid mount config for type "bind": field VolumeOptions must not be specified'],
    [{ Type: 'volume', Source: 'v', Target: '/x', BindOptions: {} }, 'invalid mount config for type "volume": field BindOptions must not be specified'],
    // Observed from dockerd 20.10.24: `--mount type=volume,dst=/data,readonly`.
    [{ Type: 'volume', Target: '/data', ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
    [{ Type: 'volume', Target: '/x', VolumeOptions: { Subpath: 'a' } }, 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: '../a' } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: '/a' } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/x' }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: 'tmpfs', Target: '/x', BindOptions: {} }, 'invalid mount config for type "tmpfs": field BindOptions must not be specified'],
    [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['uid', '1']] } }, 'invalid mount config for type "tmpfs": invalid option: uid'],
    [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['exec', 'a', 'b']] } }, 'invalid mount config for type "tmpfs": invalid option array length'],
    [{ Type: 'npipe', Source: '/x', Target: '/x' }, 'invalid mount config for type "npipe": mount type unknown'],
    [{ Target: '/x' }, 'invalid mount config for type "": mount type unknown'],
  ];
  for (const [m, message] of cases) {
    const err = errorOf(() => parseMountSpec(m, host));
    assert.equal(err.kind, 'invalid-parameter');
    assert.equal(err.message, message, JSON.stringify(m));
  }
  // A stat error other than "does not exist" is shown as is (TestLinuxParseMountSpecBindWithFileinfoError).
  const failing: HostPaths = { exists: () => { throw new Error('some crazy error'); } };
  assert.equal(errorOf(() => parseMountSpec({ Type: 'bind', Source: '/bananas', Target: '/bananas' }, failing)).message, 'invalid mount config for type "bind": some crazy error');
  // CreateMountpoint: a missing source is fine (created at start).
  assert.doesNotThrow(() => parseMountSpec({ Type: 'bind', Source: '/nope', Target: '/x', BindOptions: { CreateMountpoint: true } }, host));
  // Without host information (-v), the source is not checked.
  assert.doesNotThrow(() => validateMountConfig({ Type: 'bind', Source: '/nope', Target: '/x' }));
});

test('--mount results', () => {
  const host = hostWith('/exists', '/exists/');
  const b = parseMountSpec({ Type: 'bind', Source: '/exists/', Target: '/x/', ReadOnly: true }, host);
  assert.deepEqual([b.Type, b.Source, b.Destination, b.RW, b.Propagation, b.Mode], ['bind', '/exists', '/x', false, 'rprivate', '']);
  assert.equal(parseMountSpec({ Type: 'bind', Source: '/exists', Target: '/x', BindOptions: { Propagation: 'rshared' } }, host).Propagation, 'rshared');
  const v = parseMountSpec({ Type: 'volume', Source: 'vol', Target: '/x', VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local' } } }, host);
  assert.deepEqual([v.Type, v.Name, v.Driver, v.CopyData, v.RW, v.Propagation], ['volume', 'vol', 'local', false, true, '']);
  const anon = parseMountSpec({ Type: 'volume', Target: '/x' }, host);
  assert.equal(anon.Name, '');
  assert.equal(anon.CopyData, true);
  const t = parseMountSpec({ Type: 'tmpfs', Target: '/t' }, host);
  assert.deepEqual([t.Type, t.Source, t.RW], ['tmpfs', '', true]);
});

test('tmpfs options conversion (TestConvertTmpfsOptions)', () => {
  assert.equal(convertTmpfsOptions({ SizeBytes: 1024 * 1024, Mode: 0o700 }, false), 'mode=700,size=1m');
  assert.equal(convertTmpfsOptions({}, true), 'ro');
  assert.equal(convertTmpfsOptions({ SizeBytes: 3 * 2 ** 30 }, false), 'size=3g');
  assert.equal(convertTmpfsOptions({ SizeBytes: 1536 }, false), 'size=1536');
  assert.equal(convertTmpfsOptions({ SizeBytes: 1000 }, false), 'size=1000');
  assert.equal(convertTmpfsOptions({ Options: [['exec'], ['noexec']] }, false), 'exec,noexec');
  assert.equal(convertTmpfsOptions(undefined, false), '');
});

test('--volumes-from specs (ParseVolumesFrom)', () => {
  assert.deepEqual(parseVolumesFrom('web'), { container: 'web', mode: 'rw' });
  assert.deepEqual(parseVolumesFrom('web:ro'), { container: 'web', mode: 'ro' });
  assert.deepEqual(parseVolumesFrom('web:ro,z'), { container: 'web', mode: 'ro,z' });
  assert.equal(errorOf(() => parseVolumesFrom('')).message, 'volumes-from specification cannot be an empty string');
  assert.equal(errorOf(() => parseVolumesFrom('web:xyz')).message, 'invalid mode: xyz');
  assert.equal(errorOf(() => parseVolumesFrom('web:rshared')).message, 'invalid mode: rshared');
  assert.equal(errorOf(() => parseVolumesFrom('web:ro,nocopy')).message, 'invalid mode: ro,nocopy');
});

test('binds touching the daemon root default to rslave (validateBindDaemonRoot)', () => {
  const root = '/var/lib/berth';
  assert.equal(bindNeedsSlavePropagation({ Type: 'bind', Source: '/var/lib/berth/volumes', Target: '/x' }, root), true);
  assert.equal(bindNeedsSlavePropagation({ Type: 'bind', Source: '/', Target: '/host' }, root), true);
  assert.equal(bindNeedsSlavePropagation({ Type: 'bind', Source: '/srv', Target: '/x' }, root), false);
  assert.equal(bindNeedsSlavePropagation({ Type: 'volume', Source: 'v', Target: '/x' }, root), false);
  assert.equal(bindNeedsSlavePropagation({ Type: 'bind', Source: '/', Target: '/h', BindOptions: { Propagation: 'rshared' } }, root), false);
  assert.equal(bindNeedsSlavePropagation({ Type: 'bind', Source: '/', Target: '/h', BindOptions: {} }, root), true);
  assert.equal(
    errorOf(() => bindNeedsSlavePropagation({ Type: 'bind', Source: '/', Target: '/h', BindOptions: { Propagation: 'private' } }, root)).message,
    'invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "/var/lib/berth", bind mount source: "/", propagation: "private"',
  );
});

test('read-only bind options need ReadOnly', () => {
  assert.equal(errorOf(() => validateBindOptions({ Type: 'bind', BindOptions: { ReadOnlyNonRecursive: true } })).message, 'option ReadOnlyNonRecursive requires ReadOnly');
  assert.equal(errorOf(() => validateBindOptions({ Type: 'bind', BindOptions: { ReadOnlyForceRecursive: true } })).message, 'option ReadOnlyForceRecursive requires ReadOnly');
  assert.doesNotThrow(() => validateBindOptions({ Type: 'bind', ReadOnly: true, BindOptions: { ReadOnlyForceRecursive: true } }));
});

test('duplicate mount point message (dockerd 20.10.24: `-v aa:/data -v bb:/data`)', () => {
  assert.equal(errDuplicateMountPoint('/data').message, 'Duplicate mount point: /data');
});
