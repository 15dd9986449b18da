// The embedded DNS server: answers from the directory (docker's embedded
// resolver semantics: names of containers sharing a network with the asking
// container, A/AAAA, PTR), forwarding of other names, SERVFAIL when no
// upstream answers in time, REFUSED for clients that are not containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import { answerLocally, EmbeddedDns, ptrToIp, type DnsDirectory } from '../../../src/network/dns.js';
import { nullLogger } from '../../../src/common/log.js';

const CLIENT = '127.0.0.1';
/** The rcode dns-packet decodes (its types leave it out). */
const rcode = (p: DecodedPacket | undefined): string | undefined => (p as (DecodedPacket & { rcode?: string }) | undefined)?.rcode;

function directory(upstreams: string[] = []): DnsDirectory {
  const names: Record<string, { v4: string[]; v6: string[] }> = {
    db: { v4: ['172.20.0.2'], v6: [] },
    'db.app': { v4: ['172.20.0.2'], v6: [] },
    web: { v4: ['172.20.0.3', '172.20.0.4'], v6: ['fd00::3'] },
  };
  return {
    lookup: (client, name, family) => {
      if (client !== CLIENT) return null;
      const n = names[name.toLowerCase()];
      return n ? (family === 4 ? n.v4 : n.v6) : undefined;
    },
    reverse: (client, ip) => (client !== CLIENT ? null : ip === '172.20.0.2' ? ['db.app'] : undefined),
    upstreams: () => upstreams,
  };
}

function query(name: string, type: RecordType, id = 42): DecodedPacket {
  return dnsPacket.decode(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }));
}

test('A and AAAA answers for container names, case-insensitively', () => {
  const r = answerLocally(query('DB', 'A'), CLIENT, directory());
  assert.equal(r.kind, 'answer');
  const p = r.kind === 'answer' ? dnsPacket.decode(dnsPacket.encode(r.packet)) : undefined;
  assert.equal(rcode(p), 'NOERROR');
  assert.equal(p?.id, 42);
  assert.ok(p?.flag_rd && p.flag_ra && p.flag_aa);
  assert.deepEqual(p?.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : undefined]), [['A', 'DB', '172.20.0.2']]);
  const web = answerLocally(query('web', 'A'), CLIENT, directory());
  assert.deepEqual(web.kind === 'answer' ? web.packet.answers?.map((a) => ('data' in a ? a.data : '')).sort() : [], ['172.20.0.3', '172.20.0.4']);
  const v6 = answerLocally(query('web', 'AAAA'), CLIENT, directory());
  assert.deepEqual(v6.kind === 'answer' ? v6.packet.answers?.map((a) => ('data' in a ? a.data : '')) : [], ['fd00::3']);
});

test('a known name without an address of the family: NOERROR, no records (docker: NODATA)', () => {
  const r = answerLocally(query('db', 'AAAA'), CLIENT, directory());
  assert.equal(r.kind, 'answer');
  if (r.kind === 'answer') {
    assert.equal(r.packet.answers?.length, 0);
    assert.equal((r.packet.flags ?? 0) & 0xf, 0);
  }
  const mx = answerLocally(query('db', 'MX'), CLIENT, directory());
  assert.equal(mx.kind, 'answer');
});

test('unknown names are forwarded; unknown clients refused', () => {
  assert.equal(answerLocally(query('example.com', 'A'), CLIENT, directory()).kind, 'forward');
  assert.equal(answerLocally(query('example.com', 'MX'), CLIENT, directory()).kind, 'forward');
  const r = answerLocally(query('db', 'A'), '10.9.9.9', directory());
  assert.equal(r.kind, 'refuse');
  if (r.kind === 'refuse') assert.equal((r.packet.flags ?? 0) & 0xf, 5);
});

test('PTR for container addresses', () => {
  assert.equal(ptrToIp('2.0.20.172.in-addr.arpa'), '172.20.0.2');
  assert.equal(ptrToIp('3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.'), 'fd00::3');
  assert.equal(ptrToIp('x.in-addr.arpa'), undefined);
  const r = answerLocally(query('2.0.20.172.in-addr.arpa', 'PTR'), CLIENT, directory());
  assert.equal(r.kind, 'answer');
  if (r.kind === 'answer') assert.deepEqual(r.packet.answers?.map((a) => ('data' in a ? a.data : '')), ['db.app']);
  assert.equal(answerLocally(query('9.0.20.172.in-addr.arpa', 'PTR'), CLIENT, directory()).kind, 'forward');
});

async function udpAsk(port: number, name: string, type: RecordType): Promise<DecodedPacket> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<DecodedPacket>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 5000);
      sock.on('message', (m) => {
        clearTimeout(t);
        resolve(dnsPacket.decode(m));
      });
      sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

async function tcpAsk(port: number, name: string, type: RecordType): Promise<DecodedPacket> {
  const sock = net.connect({ host: '127.0.0.1', port });
  try {
    return await new Promise<DecodedPacket>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      });
      sock.write(dnsPacket.streamEncode({ type: 'query', id: 8, questions: [{ type, name }] }));
    });
  } finally {
    sock.destroy();
  }
}

test('over UDP and TCP: local answers, forwarding to an upstream, SERVFAIL after the timeout', async () => {
  // A fake upstream on 127.77.0.1:53 (all of 127/8 is local on Linux).
  const upstream = dgram.createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(53, '127.77.0.1', () => r()));
  upstream.on('message', (m, rinfo) => {
    const q = dnsPacket.decode(m);
    upstream.send(
      dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, data: '192.0.2.99' }] }),
      rinfo.port,
      rinfo.address,
    );
  });
  let ups = ['127.77.0.1'];
  const dir = directory();
  dir.upstreams = () => ups;
  const server = new EmbeddedDns(dir, nullLogger, { timeoutMs: 300 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  try {
    await server.listen('127.0.0.1', port);
    const local = await udpAsk(port, 'db', 'A');
    assert.deepEqual(local.answers?.map((a) => ('data' in a ? a.data : '')), ['172.20.0.2']);
    const localTcp = await tcpAsk(port, 'db.app', 'A');
    assert.deepEqual(localTcp.answers?.map((a) => ('data' in a ? a.data : '')), ['172.20.0.2']);
    const forwarded = await udpAsk(port, 'example.org', 'A');
    assert.equal(forwarded.id, 7);
    assert.deepEqual(forwarded.answers?.map((a) => ('data' in a ? a.data : '')), ['192.0.2.99']);
    // Nobody at 127.77.0.2: SERVFAIL, promptly.
    ups = ['127.77.0.2'];
    const t0 = Date.now();
    const fail = await udpAsk(port, 'example.org', 'A');
    assert.equal(rcode(fail), 'SERVFAIL');
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    ups = [];
    assert.equal(rcode(await udpAsk(port, 'example.org', 'A')), 'SERVFAIL');
  } finally {
    await server.close();
    upstream.close();
  }
});
