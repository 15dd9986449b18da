// IP addresses, subnet allocation from docker's default-address-pools, address
// allocation inside a subnet, and moby's network.ValidateIPAM messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, parseIp, Prefix } from '../../../src/network/ip.js';
import { firstFreeSubnet, freeSubnets, nameserverPrefixes, SubnetAddresses, AddressInUseError, AddressOutOfRangeError, AddressExhaustedError } from '../../../src/network/ipam.js';
import { validateIpam } from '../../../src/network/service.js';

const P = (s: string): Prefix => Prefix.parse(s)!.prefix;
const ip = (s: string) => parseIp(s)!;

// dockerd 27's defaults (daemon/config: 172.17-19/16, 172.20-31 in /16s, 192.168/16 in /20s).
const dockerPools = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

test('parse and format addresses as Go does', () => {
  assert.equal(formatIp(ip('10.0.0.1')), '10.0.0.1');
  assert.equal(formatIp(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIp(ip('fd00::')), 'fd00::');
  assert.equal(formatIp(ip('::1')), '::1');
  assert.equal(formatIp(ip('::ffff:1.2.3.4')), '::ffff:102:304');
  assert.equal(formatIp(ip('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
  assert.equal(parseIp('010.0.0.1'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(parseIp('fe80::1%eth0'), undefined);
  assert.equal(Prefix.parse('10.5.0.0/33'), undefined);
  assert.equal(Prefix.parse('10.5.0.1/16')!.prefix.toString(), '10.5.0.0/16');
  assert.equal(Prefix.parse('10.5.0.1/16')!.ip.value, ip('10.5.0.1').value);
  assert.ok(P('172.17.0.0/16').overlaps(P('172.17.5.0/24')));
  assert.ok(!P('172.17.0.0/16').overlaps(P('172.18.0.0/16')));
  assert.ok(!P('10.0.0.0/8').overlaps(P('fd00::/8')));
});

test('default bridge: 172.17.0.0/16 unless something there; then the next free pool', () => {
  assert.equal(firstFreeSubnet(dockerPools, [])!.toString(), '172.17.0.0/16');
  assert.equal(firstFreeSubnet(dockerPools, [P('172.17.3.0/24')])!.toString(), '172.18.0.0/16');
  const taken = [P('172.16.0.0/12')];
  assert.equal(firstFreeSubnet(dockerPools, taken)!.toString(), '192.168.0.0/20');
  assert.equal(firstFreeSubnet(dockerPools, [...taken, P('192.168.0.0/20'), P('192.168.17.0/24')])!.toString(), '192.168.32.0/20');
  assert.equal(firstFreeSubnet(dockerPools, [P('0.0.0.0/1'), P('128.0.0.0/1')]), undefined);
});

test('pools split into blocks of their size, in order', () => {
  const got = [...freeSubnets([{ base: '172.20.0.0/14', size: 16 }], [P('172.21.0.0/16')])].map(String);
  assert.deepEqual(got, ['172.20.0.0/16', '172.22.0.0/16', '172.23.0.0/16']);
});

test('host nameservers are avoided', () => {
  assert.deepEqual(nameserverPrefixes('# x\nnameserver 172.17.0.53\nnameserver ::1\noptions ndots:2\n').map(String), ['172.17.0.53/32', '::1/128']);
});

test('addresses: serial allocation skipping network, gateway, broadcast; released addresses wait their turn', () => {
  const book = new SubnetAddresses(P('10.1.2.0/29'), undefined, [ip('10.1.2.1')]);
  const got = [1, 2, 3, 4, 5].map(() => formatIp(book.allocate()));
  assert.deepEqual(got, ['10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6']);
  assert.throws(() => book.allocate(), AddressExhaustedError);
  book.release(ip('10.1.2.3'));
  book.release(ip('10.1.2.5'));
  assert.equal(formatIp(book.allocate()), '10.1.2.3');
  assert.equal(formatIp(book.allocate()), '10.1.2.5');
});

test('addresses: serial order continues after a release instead of reusing at once', () => {
  const book = new SubnetAddresses(P('10.1.0.0/24'), undefined, [ip('10.1.0.1')]);
  const a = book.allocate();
  book.allocate();
  book.release(a);
  assert.equal(formatIp(book.allocate()), '10.1.0.4');
});

test('addresses: --ip-range, fixed addresses, errors', () => {
  // dockerd 20.10: --subnet 10.5.0.0/16 --ip-range 10.5.7.0/24 gives its first container 10.5.7.1.
  const book = new SubnetAddresses(P('10.5.0.0/16'), P('10.5.7.0/24'), [ip('10.5.0.1')]);
  assert.equal(formatIp(book.allocate()), '10.5.7.1');
  assert.equal(formatIp(book.allocate(ip('10.5.0.50'))), '10.5.0.50');
  assert.throws(() => book.allocate(ip('10.5.0.50')), AddressInUseError);
  assert.throws(() => book.allocate(ip('10.5.0.1')), AddressInUseError);
  assert.throws(() => book.allocate(ip('10.6.0.1')), AddressOutOfRangeError);
});

test('addresses: restoring marks move the cursor past them', () => {
  const book = new SubnetAddresses(P('10.9.0.0/24'), undefined, [ip('10.9.0.1')]);
  book.mark(ip('10.9.0.7'));
  assert.equal(formatIp(book.allocate()), '10.9.0.8');
});

test('IPv6 subnets skip the subnet-router anycast address', () => {
  const book = new SubnetAddresses(P('fd00:1::/64'), undefined, [ip('fd00:1::1')]);
  assert.equal(formatIp(book.allocate()), 'fd00:1::2');
});

test('ValidateIPAM messages (moby api/types/network/ipam.go)', () => {
  const msg = (cfg: object, v6 = false): string => {
    try {
      validateIpam([cfg], v6);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.equal(msg({ Subnet: '10.5.0.0/16' }), '');
  assert.equal(msg({ Subnet: '10.5.0.0/33' }), 'invalid network config:\ninvalid subnet 10.5.0.0/33: invalid CIDR block notation');
  assert.equal(msg({ Subnet: '10.5.0.1/16' }), 'invalid network config:\ninvalid subnet 10.5.0.1/16: it should be 10.5.0.0/16');
  assert.equal(msg({ Subnet: '10.5.0.0/16', Gateway: '10.6.0.1' }), "invalid network config:\ninvalid gateway 10.6.0.1: parent subnet 10.5.0.0/16 doesn't contain this address");
  assert.equal(msg({ Subnet: '10.5.0.0/16', IPRange: '10.7.0.0/24' }), "invalid network config:\ninvalid ip-range 10.7.0.0/24: parent subnet 10.5.0.0/16 doesn't contain ip-range");
  assert.equal(msg({ Subnet: '10.5.0.0/24', IPRange: '10.5.0.0/16' }), 'invalid network config:\ninvalid ip-range 10.5.0.0/16: CIDR block is bigger than its parent subnet 10.5.0.0/24');
  assert.equal(msg({ Subnet: '10.5.0.0/16', Gateway: 'fd00::1' }), 'invalid network config:\ninvalid gateway fd00::1: parent subnet is an IPv4 block');
  assert.equal(msg({ Subnet: '10.5.0.0/16', AuxiliaryAddresses: { a: 'nope' } }), 'invalid network config:\ninvalid auxiliary address a: invalid address');
  // IPv6 subnets are not checked unless IPv6 is on.
  assert.equal(msg({ Subnet: 'fd00::1/64' }), '');
  assert.equal(msg({ Subnet: 'fd00::1/64' }, true), 'invalid network config:\ninvalid subnet fd00::1/64: it should be fd00::/64');
  assert.equal(
    msg({ Subnet: '10.5.0.1/16', Gateway: '10.6.0.1' }),
    "invalid network config:\n* invalid subnet 10.5.0.1/16: it should be 10.5.0.0/16\n* invalid gateway 10.6.0.1: parent subnet 10.5.0.0/16 doesn't contain this address",
  );
});
