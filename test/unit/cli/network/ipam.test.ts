// docker network create's IPAM checks (docker/cli network/create.go
// createIPAMConfig and subnetMatches), with docker 28.2.2's messages as
// printed for the same flags, and Go's net parsing they rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIpamConfig } from '../../../../src/cli/commands/network/create.js';
import { cidrContains, parseCidr, parseIp } from '../../../../src/cli/commands/network/ip.js';
import { naturalLess } from '../../../../src/cli/shared-options.js';

const ipam = (subnets: string[], ipRanges: string[] = [], gateways: string[] = [], aux: Record<string, string> = {}) =>
  createIpamConfig({ subnets, ipRanges, gateways, auxAddresses: new Map(Object.entries(aux)) });

describe('createIPAMConfig', () => {
  it('matches ranges, gateways and aux addresses to their subnet', () => {
    assert.deepEqual(ipam(['10.5.0.0/16', 'fd00::/64'], ['10.5.1.0/24'], ['10.5.0.1', 'fd00::1'], { b: '10.5.0.3', a: 'fd00::2' }), [
      { Subnet: '10.5.0.0/16', IPRange: '10.5.1.0/24', Gateway: '10.5.0.1', AuxiliaryAddresses: { b: '10.5.0.3' } },
      { Subnet: 'fd00::/64', Gateway: 'fd00::1', AuxiliaryAddresses: { a: 'fd00::2' } },
    ]);
    assert.deepEqual(ipam([]), []);
  });
  const errors: Array<[() => unknown, string]> = [
    [() => ipam([], [], ['10.0.0.1']), 'every ip-range or gateway must have a corresponding subnet'],
    [() => ipam(['foo'], ['10.0.0.0/24']), 'invalid subnet: invalid CIDR address: foo'],
    [() => ipam(['10.96.0.0/16', '10.96.1.0/24']), 'multiple overlapping subnet configuration is not supported'],
    [() => ipam(['10.98.0.0/24'], ['10.97.0.0/25']), 'no matching subnet for range 10.97.0.0/25'],
    [() => ipam(['10.96.0.0/16'], [], ['bad']), 'no matching subnet for gateway bad'],
    [() => ipam(['10.96.0.0/16'], [], [], { x: '10.1.0.1' }), 'no matching subnet for aux-address 10.1.0.1'],
    [() => ipam(['10.96.0.0/16', '10.97.0.0/16'], ['10.96.1.0/24', '10.96.2.0/24']), 'cannot configure multiple ranges (10.96.2.0/24, 10.96.1.0/24) on the same subnet (10.96.0.0/16)'],
    [() => ipam(['10.96.0.0/16'], ['10.96.1.0/x']), 'invalid CIDR address: 10.96.1.0/x'],
  ];
  for (const [fn, message] of errors) it(message, () => assert.throws(fn, { message }));
});

describe("Go's net parsing", () => {
  it('addresses and networks', () => {
    assert.deepEqual([...parseIp('10.1.2.3')!], [10, 1, 2, 3]);
    assert.equal(parseIp('010.1.2.3'), undefined);
    assert.equal(parseIp('fd00::1')!.length, 16);
    assert.deepEqual([...parseIp('::ffff:1.2.3.4')!.slice(10)], [0xff, 0xff, 1, 2, 3, 4]);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('10.200.0.1')!));
    assert.ok(!cidrContains(parseCidr('10.0.0.0/8')!, parseIp('11.0.0.1')!));
    assert.ok(cidrContains(parseCidr('10.0.0.0/8')!, parseIp('::ffff:10.0.0.1')!));
    assert.ok(cidrContains(parseCidr('fd00::/64')!, parseIp('fd00::abcd')!));
    assert.ok(!cidrContains(parseCidr('fd00::/64')!, parseIp('fd01::1')!));
  });
});

describe('sortorder.NaturalLess (network ls, volume ls, context ls order)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['net9', 'net10', true],
    ['net10', 'net9', false],
    ['a', 'b', true],
    ['a1', 'a01', true],
    ['a01', 'a1', false],
    ['1a', 'a', true],
    ['abc', 'abcd', true],
    ['bridge', 'host', true],
    ['x2y10', 'x2y9', false],
  ];
  for (const [a, b, less] of cases) it(`${a} < ${b}: ${less}`, () => assert.equal(naturalLess(a, b), less));
});
