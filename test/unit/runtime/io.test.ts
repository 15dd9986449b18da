// Pure pieces of container I/O: detach keys (docker's term.ToBytes and
// escape proxy), the k8s-file log records conmon writes, reading them back
// (tail, since/until, partial lines), docker's log options, /etc files, -v
// parsing, ps output filtering for top, and the wording of ps's STATUS.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EscapeDetector, parseDetachKeys } from '../../../src/runtime/attach.js';
import { formatEntry, parseRamBytes, parseRecord, readLogs, resolveLogConfig, type LogEntry } from '../../../src/runtime/logs.js';
import { buildHosts, buildResolvConf } from '../../../src/runtime/etc-files.js';
import { parsePsOutput } from '../../../src/runtime/top.js';
import { humanDuration, newState, statusText } from '../../../src/runtime/model.js';
import { commandText } from '../../../src/runtime/views.js';
import { classifyStartError } from '../../../src/runtime/service.js';
import type { ContainerRecord } from '../../../src/runtime/model.js';

describe('detach keys', () => {
  it('parses docker\'s key notation', () => {
    assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
    assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
    assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-['), [0, 27]);
    assert.throws(() => parseDetachKeys('ctrl-'), { message: 'Invalid detach keys (ctrl-) provided' });
    assert.throws(() => parseDetachKeys('abc'), { message: 'Invalid detach keys (abc) provided' });
  });

  it('holds back a prefix of the sequence and releases it when the sequence breaks', () => {
    const d = new EscapeDetector([16, 17]);
    assert.deepEqual(d.push(Buffer.from([65, 16])), { forward: Buffer.from([65]), detached: false });
    assert.deepEqual(d.push(Buffer.from([66])), { forward: Buffer.from([16, 66]), detached: false });
    assert.deepEqual(d.push(Buffer.from([16, 16])), { forward: Buffer.from([16]), detached: false });
    assert.deepEqual(d.push(Buffer.from([17, 99])), { forward: Buffer.from([]), detached: true });
  });
});

describe('logs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-logs-unit-'));
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it('parses conmon\'s k8s-file records', () => {
    const e = parseRecord(Buffer.from('2026-11-23T09:17:23.123456789+01:00 stderr F hello world'));
    assert.equal(e?.stream, 'stderr');
    assert.equal(e?.time, 1795421843123456789n);
    assert.equal(e?.data.toString(), 'hello world\n');
    assert.equal(parseRecord(Buffer.from('2026-11-23T09:17:23Z stdout P part'))?.data.toString(), 'part');
    assert.equal(parseRecord(Buffer.from('garbage')), undefined);
  });

  it('reads back with tail, since and until, across a rotated file', async () => {
    const file = path.join(dir, 'c-json.log');
    const rec = (s: number, stream: string, tag: string, text: string): string => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000000000Z ${stream} ${tag} ${text}\n`;
    await fs.writeFile(`${file}.1`, rec(1, 'stdout', 'F', 'one') + rec(2, 'stderr', 'F', 'two'));
    await fs.writeFile(file, rec(3, 'stdout', 'P', 'thr') + rec(3, 'stdout', 'F', 'ee') + rec(4, 'stdout', 'F', 'four'));
    const read = async (o: Partial<{ tail: number; since: bigint; until: bigint; stdout: boolean; stderr: boolean }>): Promise<string> => {
      const out: LogEntry[] = [];
      for await (const e of readLogs(file, 2, { stdout: true, stderr: true, since: 0n, until: 0n, tail: -1, follow: false, ...o })) out.push(e);
      return out.map((e) => e.data.toString()).join('');
    };
    assert.equal(await read({}), 'one\ntwo\nthree\nfour\n');
    assert.equal(await read({ stderr: false }), 'one\nthree\nfour\n');
    assert.equal(await read({ tail: 1 }), 'four\n');
    assert.equal(await read({ tail: 4 }), 'two\nthree\nfour\n');
    assert.equal(await read({ tail: 0 }), '');
    const sec = (n: number): bigint => BigInt(Date.parse('2026-01-01T00:00:00Z')) * 1_000_000n + BigInt(n) * 1_000_000_000n;
    assert.equal(await read({ since: sec(3) }), 'three\nfour\n');
    assert.equal(await read({ until: sec(2) }), 'one\ntwo\n');
    assert.equal(formatEntry({ stream: 'stdout', time: sec(3) + 5n, data: Buffer.from('x\n') }, true, '').toString(), '2026-01-01T00:00:03.000000005Z x\n');
  });

  it('validates log options as dockerd does', () => {
    assert.deepEqual(resolveLogConfig(undefined, 'json-file', {}), { Type: 'json-file', Config: {}, maxSize: 0, maxFile: 1 });
    assert.equal(resolveLogConfig({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } }, 'json-file', {}).maxSize, 10 * 1024 * 1024);
    assert.equal(resolveLogConfig({ Type: 'local' }, 'json-file', {}).maxFile, 5);
    assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { bogus: '1' } }, 'json-file', {}), { message: "unknown log opt 'bogus' for json-file log driver" });
    assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { 'max-file': '0' } }, 'json-file', {}), { message: 'max-file cannot be less than 1' });
    assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { 'max-file': '2' } }, 'json-file', {}), { message: 'max-file cannot be set when max-size is not set' });
    assert.throws(() => resolveLogConfig({ Type: 'syslogx' }, 'json-file', {}), /no log driver named 'syslogx'/);
    assert.equal(parseRamBytes('512k'), 524288);
    assert.equal(parseRamBytes('1g'), 1073741824);
  });
});

describe('/etc files', () => {
  it('drops loopback nameservers, falls back to Google\'s, and applies --dns options', () => {
    assert.equal(buildResolvConf({ hostText: 'nameserver 127.0.0.53\nsearch lan\n', hostNetwork: false, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\n');
    assert.equal(buildResolvConf({ hostText: 'nameserver 10.0.0.1\nnameserver ::1\noptions rotate\n', hostNetwork: false, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 10.0.0.1\noptions rotate\n');
    assert.equal(buildResolvConf({ hostText: 'nameserver 10.0.0.1\n', hostNetwork: false, dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:1'] }), 'nameserver 1.1.1.1\nsearch a.b\noptions ndots:1\n');
    assert.equal(buildResolvConf({ hostText: 'nameserver 127.0.0.1\n', hostNetwork: true, dns: [], dnsSearch: [], dnsOptions: [] }), 'nameserver 127.0.0.1\n');
    // A user network's embedded DNS stays the nameserver with --dns (it forwards to them), as docker's 127.0.0.11 does.
    const embedded = { nameservers: ['10.9.0.1'], options: ['ndots:0'] };
    assert.equal(buildResolvConf({ hostText: 'nameserver 10.0.0.1\n', hostNetwork: false, dns: ['1.1.1.1'], dnsSearch: [], dnsOptions: [], override: embedded }), 'nameserver 10.9.0.1\noptions ndots:0\n');
    assert.equal(buildResolvConf({ hostText: 'nameserver 10.0.0.1\n', hostNetwork: false, dns: [], dnsSearch: ['x.y'], dnsOptions: [], override: embedded }), 'nameserver 10.9.0.1\nsearch x.y\noptions ndots:0\n');
  });

  it('writes docker\'s hosts file with --add-host and the container\'s addresses', () => {
    const text = buildHosts({ hostNetwork: false, hostText: '', extraHosts: ['db:10.1.1.1', 'gw=host-gateway'], own: [{ ip: '172.17.0.2', names: ['abc'] }], hostGateway: '172.17.0.1' });
    assert.equal(
      text,
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.1.1.1\tdb\n172.17.0.1\tgw\n172.17.0.2\tabc\n',
    );
  });
});

describe('docker top', () => {
  it('keeps the container\'s processes and joins the command column', () => {
    const ps = 'UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 10:00 ?        00:00:01 /sbin/init\nroot         100      50  0 10:01 ?        00:00:00 sleep 300 extra\nroot         101     100  0 10:01 ?        00:00:00 sh -c x\n';
    assert.deepEqual(parsePsOutput(ps, [100, 101]), {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '100', '50', '0', '10:01', '?', '00:00:00', 'sleep 300 extra'],
        ['root', '101', '100', '0', '10:01', '?', '00:00:00', 'sh -c x'],
      ],
    });
    assert.throws(() => parsePsOutput('USER CMD\nroot x\n', [1]), { message: "Couldn't find PID field in ps output" });
  });
});

describe('ps wording', () => {
  it('follows go-units HumanDuration', () => {
    assert.equal(humanDuration(0.5), 'Less than a second');
    assert.equal(humanDuration(1), '1 second');
    assert.equal(humanDuration(59), '59 seconds');
    assert.equal(humanDuration(60), 'About a minute');
    assert.equal(humanDuration(3599), '59 minutes');
    assert.equal(humanDuration(3600), 'About an hour');
    assert.equal(humanDuration(3 * 3600), '3 hours');
    assert.equal(humanDuration(3 * 86400), '3 days');
    assert.equal(humanDuration(21 * 86400), '3 weeks');
  });

  it('says Created, Up, Exited (n) ... ago, Paused', () => {
    const now = BigInt(Date.parse('2026-01-01T00:10:00Z')) * 1_000_000n;
    const st = newState();
    assert.equal(statusText(st, now), 'Created');
    st.Running = true;
    st.StartedAt = '2026-01-01T00:05:00Z';
    assert.equal(statusText(st, now), 'Up 5 minutes');
    st.Paused = true;
    assert.equal(statusText(st, now), 'Up 5 minutes (Paused)');
    st.Running = false;
    st.Paused = false;
    st.ExitCode = 3;
    st.FinishedAt = '2026-01-01T00:09:58Z';
    assert.equal(statusText(st, now), 'Exited (3) 2 seconds ago');
  });

  it('quotes arguments with spaces in the COMMAND column', () => {
    assert.equal(commandText({ Path: 'sh', Args: ['-c', 'echo hi'] } as ContainerRecord), "sh -c 'echo hi'");
    assert.equal(commandText({ Path: 'true', Args: [] } as unknown as ContainerRecord), 'true');
  });
});

describe('start errors (moby translateContainerdStartErr, docker/cli runStartContainerErr)', () => {
  it('maps the runtime\'s message to 127, 126 or 128', () => {
    assert.deepEqual(classifyStartError('exec: "x": executable file not found in $PATH'), { exitCode: 127, userError: true });
    assert.deepEqual(classifyStartError('open /x: no such file or directory'), { exitCode: 127, userError: true });
    assert.deepEqual(classifyStartError('exec: "/etc/passwd": permission denied'), { exitCode: 126, userError: true });
    assert.deepEqual(classifyStartError('cgroup: something'), { exitCode: 128, userError: false });
  });
});
