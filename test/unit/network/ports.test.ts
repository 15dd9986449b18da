// Port specs as the docker CLI (28.2) parses `-p`: go-connections nat.ParsePortSpec.
// Every error text below was printed by /usr/local/bin/docker for that spec
// (`docker create -p SPEC busybox` fails before contacting the daemon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePortKeys, parseHostPortRequest, parsePortKey, parsePortSpec, parsePortSpecs, PortSpecError, splitProtoPort } from '../../../src/network/ports.js';

const cliErrors: Array<[string, string]> = [
  ['bad', 'invalid containerPort: bad'],
  ['80/xyz', 'invalid proto: xyz'],
  ['1.2.3.4:80:80/xyz', 'invalid proto: xyz'],
  ['[::1:80:80', "invalid IP address [::1: address [::1:: missing ']' in address"],
  ['1.2.3:80:80', 'invalid IP address: 1.2.3'],
  ['80-70', 'invalid containerPort: 80-70'],
  ['8080-8090:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8080-8090'],
  ['70000', 'invalid containerPort: 70000'],
  ['a:80', 'invalid hostPort: a'],
  ['', 'no port specified: <empty>'],
  ['/udp', 'no port specified: /udp<empty>'],
  ['+80', 'invalid containerPort: +80'],
  ['65536', 'invalid containerPort: 65536'],
  ['x:80:80', 'invalid IP address: x'],
  ['1:2:3:4:5:6', 'invalid IP address: 1:2:3:4'],
  ['x:80:80/xyz', 'invalid IP address: x'],
  ['x::', 'invalid IP address: x'],
  ['::/xyz', 'no port specified: ::/xyz<empty>'],
  ['80-a', 'invalid containerPort: 80-a'],
  ['a-80', 'invalid containerPort: a-80'],
  ['99999:80', 'invalid hostPort: 99999'],
  ['80:99999', 'invalid containerPort: 99999'],
  ['-1', 'invalid containerPort: -1'],
  ['0-70000', 'invalid containerPort: 0-70000'],
];

test('port specs the docker CLI rejects, with its messages', () => {
  for (const [spec, message] of cliErrors) {
    assert.throws(() => parsePortSpec(spec), (err: unknown) => err instanceof PortSpecError && err.message === message, `spec ${JSON.stringify(spec)}`);
  }
});

test('port specs the docker CLI accepts', () => {
  const cases: Array<[string, Array<[string, string, string]>]> = [
    ['80', [['80/tcp', '', '']]],
    ['8080:80', [['80/tcp', '', '8080']]],
    ['127.0.0.1:8080:80', [['80/tcp', '127.0.0.1', '8080']]],
    ['127.0.0.1::80', [['80/tcp', '127.0.0.1', '']]],
    ['[::1]:8080:80/udp', [['80/udp', '::1', '8080']]],
    ['::1:80:80', [['80/tcp', '::1', '80']]],
    ['80/UDP', [['80/udp', '', '']]],
    ['80/SCTP', [['80/sctp', '', '']]],
    ['80/', [['80/tcp', '', '']]],
    ['80//udp', [['80/tcp', '', '']]],
    ['80/tcp/udp', [['80/tcp', '', '']]],
    ['8080:80/tcp/x', [['80/tcp', '', '8080']]],
    ['08', [['8/tcp', '', '']]],
    ['0', [['0/tcp', '', '']]],
    ['65535', [['65535/tcp', '', '']]],
    ['80-81', [['80/tcp', '', ''], ['81/tcp', '', '']]],
    ['80-81-82', [['80/tcp', '', ''], ['81/tcp', '', '']]],
    ['8000-8001:80-81', [['80/tcp', '', '8000'], ['81/tcp', '', '8001']]],
    // One container port and a host range: docker allocates inside the range.
    ['127.0.0.1:8000-8010:80', [['80/tcp', '127.0.0.1', '8000-8010']]],
    ['1.2.3.4:80-81:90', [['90/tcp', '1.2.3.4', '80-81']]],
    ['1-2-3:80', [['80/tcp', '', '1-2']]],
  ];
  for (const [spec, want] of cases) {
    const got = parsePortSpec(spec).map((m) => [m.port, m.binding.HostIp, m.binding.HostPort]);
    assert.deepEqual(got, want, `spec ${spec}`);
  }
});

test('parsePortSpecs merges bindings per port, as nat.ParsePortSpecs', () => {
  const { exposed, bindings } = parsePortSpecs(['127.0.0.1:8080:80', '8081:80', '53/udp']);
  assert.deepEqual(Object.keys(exposed).sort(), ['53/udp', '80/tcp']);
  assert.deepEqual(bindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '', HostPort: '8081' }]);
  assert.deepEqual(bindings['53/udp'], [{ HostIp: '', HostPort: '' }]);
});

test('SplitProtoPort', () => {
  assert.deepEqual(splitProtoPort('80'), ['tcp', '80']);
  assert.deepEqual(splitProtoPort('80/udp'), ['udp', '80']);
  assert.deepEqual(splitProtoPort('/udp'), ['', '']);
  assert.deepEqual(splitProtoPort(''), ['', '']);
});

test('port keys and host port requests', () => {
  assert.deepEqual(parsePortKey('80/tcp'), { port: 80, proto: 'tcp' });
  assert.deepEqual(parsePortKey('53/UDP'), { port: 53, proto: 'udp' });
  assert.equal(parsePortKey('80/icmp'), undefined);
  assert.equal(parsePortKey('80-81/tcp'), undefined);
  assert.deepEqual(parseHostPortRequest(''), { start: 0, end: 0 });
  assert.deepEqual(parseHostPortRequest('8080'), { start: 8080, end: 8080 });
  assert.deepEqual(parseHostPortRequest('8000-8010'), { start: 8000, end: 8010 });
  assert.equal(parseHostPortRequest('x'), undefined);
  assert.deepEqual(['9000/udp', '80/tcp', '443/tcp', '80/udp'].sort(comparePortKeys), ['80/tcp', '80/udp', '443/tcp', '9000/udp']);
});
