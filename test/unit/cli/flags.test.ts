// Tables of docker's flag behaviour. Sources, cited per row:
//   [pflag]   spf13/pflag flag.go (parseArgs, parseLongArg, parseSingleShortArg,
//             FlagUsagesWrapped, wrap/wrapN, UnquoteUsage)
//   [docker]  running /usr/local/bin/docker 28.2.2 on this machine with
//             DOCKER_HOST=unix:///nonexistent: flag errors print before any
//             connection; "Cannot connect" means the flags parsed.
//   [strconv] Go's strconv / time / encoding/csv behaviour
//   [units]   docker/go-units size.go and size_test.go
//   [opts]    docker/cli opts (NanoCPUs/ParseCPUs, MemBytes, ListOpts, MapOpts)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  FlagError,
  FlagSet,
  defineFlags,
  formatBytesSize,
  formatFlagUsages,
  formatGoDuration,
  formatGoFloat,
  formatNanoCpus,
  goQuote,
  parseFlags,
  parseGoBool,
  parseGoDuration,
  parseGoFloat,
  parseGoInt,
  parseGoUint,
  parseNanoCpus,
  parseRamInBytes,
  readCsvRecord,
  type FlagSpecs,
} from '../../../src/cli/flags.js';

// A cut of docker run's flags: every type and the shorthands docker uses.
const runFlags = defineFlags({
  'add-host': { type: 'list', usage: 'Add a custom host-to-IP mapping (host:ip)' },
  'blkio-weight': { type: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
  'cpu-shares': { type: 'int64', short: 'c', usage: 'CPU shares (relative weight)' },
  cpus: { type: 'decimal', usage: 'Number of CPUs' },
  detach: { type: 'bool', short: 'd', usage: 'Run container in background and print container ID' },
  env: { type: 'list', short: 'e', usage: 'Set environment variables' },
  'health-interval': { type: 'duration', usage: 'Time between running the check (ms|s|m|h)' },
  interactive: { type: 'bool', short: 'i', usage: 'Keep STDIN open even if not attached' },
  label: { type: 'list', short: 'l', usage: 'Set meta data on a container' },
  memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
  'memory-swap': { type: 'swapBytes', usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  name: { type: 'string', usage: 'Assign a name to the container' },
  'oom-score-adj': { type: 'int', usage: "Tune host's OOM preferences (-1000 to 1000)" },
  publish: { type: 'list', short: 'p', usage: "Publish a container's port(s) to the host" },
  rm: { type: 'bool', usage: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  'sig-proxy': { type: 'bool', default: true, usage: 'Proxy received signals to the process' },
  sysctl: { type: 'map', usage: 'Sysctl options' },
  tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
  ratio: { type: 'float', usage: 'Failure rate to tolerate' },
  subnet: { type: 'stringSlice', usage: 'Subnet in CIDR format' },
  arg: { type: 'stringArray', default: ['x'], usage: 'A pflag StringArray' },
});

function parseRun(argv: readonly string[], interspersed = false) {
  return parseFlags(runFlags, argv, { interspersed });
}

function flagErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlagError, `expected FlagError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a FlagError');
}

describe('pflag grammar', () => {
  it('combines bool shorthands (-it, -itd) [pflag; docker run -it/-itd parse]', () => {
    const r = parseRun(['-itd', 'busybox']);
    assert.equal(r.values.interactive, true);
    assert.equal(r.values.tty, true);
    assert.equal(r.values.detach, true);
    assert.deepEqual(r.args, ['busybox']);
  });

  const valueCases: { argv: string[]; env?: string[]; publish?: string[]; name?: string; args: string[]; source: string }[] = [
    { argv: ['-eA=1', 'img'], env: ['A=1'], args: ['img'], source: 'pflag: -farg' },
    { argv: ['-e=A=1', 'img'], env: ['A=1'], args: ['img'], source: 'pflag: -f=arg strips the =' },
    { argv: ['-e', 'A=1', 'img'], env: ['A=1'], args: ['img'], source: 'pflag: -f arg' },
    { argv: ['-e='], env: ['='], args: [], source: 'pflag: "-e=" is -farg with value "="' },
    { argv: ['-p8080:80', 'img'], publish: ['8080:80'], args: ['img'], source: 'pflag: -farg' },
    { argv: ['-itp', '80', 'img'], publish: ['80'], args: ['img'], source: 'pflag: last letter takes the next arg' },
    { argv: ['-ite', 'A', 'img'], env: ['A'], args: ['img'], source: 'pflag' },
    { argv: ['-eit', 'img'], env: ['it'], args: ['img'], source: 'pflag: a value-taking letter eats the rest' },
    { argv: ['--name=web', 'img'], name: 'web', args: ['img'], source: 'pflag: --flag=value' },
    { argv: ['--name', 'web', 'img'], name: 'web', args: ['img'], source: 'pflag: --flag value' },
    { argv: ['--name=', 'img'], name: '', args: ['img'], source: 'pflag; docker run --name= parses' },
    { argv: ['--name', '--rm', 'img'], name: '--rm', args: ['img'], source: 'pflag: the next arg is the value even if it looks like a flag' },
    { argv: ['--name=-x', 'img'], name: '-x', args: ['img'], source: 'pflag' },
    { argv: ['-e', '-x', 'img'], env: ['-x'], args: ['img'], source: 'pflag' },
    { argv: ['-e', 'A', '-e', 'B', 'img'], env: ['A', 'B'], args: ['img'], source: 'docker ListOpts: repeatable, no comma split' },
    { argv: ['-e', 'A,B', 'img'], env: ['A,B'], args: ['img'], source: 'docker ListOpts: no comma split' },
  ];
  for (const c of valueCases) {
    it(`${c.argv.join(' ')} [${c.source}]`, () => {
      const r = parseRun(c.argv);
      if (c.env) assert.deepEqual(r.values.env, c.env);
      if (c.publish) assert.deepEqual(r.values.publish, c.publish);
      if (c.name !== undefined) assert.equal(r.values.name, c.name);
      assert.deepEqual(r.args, c.args);
    });
  }

  const boolCases: { argv: string[]; rm?: boolean; tty?: boolean; sigProxy?: boolean; args: string[] }[] = [
    // [docker] `docker run -it --rm=false busybox` reaches the connection stage.
    { argv: ['--rm=false', 'img'], rm: false, args: ['img'] },
    { argv: ['--rm=true', 'img'], rm: true, args: ['img'] },
    { argv: ['--rm=1', 'img'], rm: true, args: ['img'] },
    { argv: ['--rm=T', 'img'], rm: true, args: ['img'] },
    { argv: ['-t=false', 'img'], tty: false, args: ['img'] },
    { argv: ['-t=0', 'img'], tty: false, args: ['img'] },
    { argv: ['--sig-proxy=false', 'img'], sigProxy: false, args: ['img'] },
    // [pflag] a bool never takes the next argument: "false" is positional.
    { argv: ['--rm', 'false'], rm: true, args: ['false'] },
  ];
  for (const c of boolCases) {
    it(`bool: ${c.argv.join(' ')} [docker/pflag]`, () => {
      const r = parseRun(c.argv);
      if (c.rm !== undefined) assert.equal(r.values.rm, c.rm);
      if (c.tty !== undefined) assert.equal(r.values.tty, c.tty);
      if (c.sigProxy !== undefined) assert.equal(r.values['sig-proxy'], c.sigProxy);
      assert.deepEqual(r.args, c.args);
    });
  }

  it('negative numbers as values [docker: --oom-score-adj -5, -c -5 parse]', () => {
    assert.equal(parseRun(['--oom-score-adj', '-5', 'img']).values['oom-score-adj'], -5);
    assert.equal(parseRun(['--oom-score-adj=-5', 'img']).values['oom-score-adj'], -5);
    assert.equal(parseRun(['-c', '-5', 'img']).values['cpu-shares'], -5);
    assert.equal(parseRun(['-c-5', 'img']).values['cpu-shares'], -5);
  });

  it('a negative number as a positional is a shorthand flag [pflag]', () => {
    assert.equal(flagErrorOf(() => parseFlags({}, ['-5'])), "unknown shorthand flag: '5' in -5");
  });

  it('"-" alone is a positional [pflag]', () => {
    assert.deepEqual(parseRun(['-', 'x'], true).args, ['-', 'x']);
  });

  it('-- ends the flags and records ArgsLenAtDash [pflag]', () => {
    const r = parseRun(['-d', 'a', '--', '-t', '--rm'], true);
    assert.deepEqual(r.args, ['a', '-t', '--rm']);
    assert.equal(r.argsLenAtDash, 1);
    assert.equal(r.values.tty, false);
    assert.equal(parseRun(['-d']).argsLenAtDash, -1);
  });

  it('not interspersed: flags after the first positional belong to the container (docker run) [pflag SetInterspersed(false)]', () => {
    const r = parseRun(['-it', '--rm', 'busybox', 'sh', '-c', 'echo hi', '--rm', '-d']);
    assert.equal(r.values.detach, false);
    assert.deepEqual(r.args, ['busybox', 'sh', '-c', 'echo hi', '--rm', '-d']);
    // The "--" after the image is the container's, not a terminator.
    assert.deepEqual(parseRun(['busybox', '--', 'x']).args, ['busybox', '--', 'x']);
    assert.equal(parseRun(['busybox', '--', 'x']).argsLenAtDash, -1);
  });

  it('interspersed: flags after positionals are parsed (docker rm c1 -f) [pflag default]', () => {
    const flags = defineFlags({ force: { type: 'bool', short: 'f', usage: 'Force' } });
    const r = parseFlags(flags, ['c1', '-f', 'c2']);
    assert.equal(r.values.force, true);
    assert.deepEqual(r.args, ['c1', 'c2']);
  });

  it('skips Go test flags (-test.v) silently, as pflag does [pflag]', () => {
    assert.deepEqual(parseRun(['-test.v', 'img']).args, ['img']);
  });
});

describe('changed tracking [pflag Flag.Changed]', () => {
  it('marks flags given on the command line, even when set to their default', () => {
    const r = parseRun(['--sig-proxy=true', '--rm=false', 'img']);
    assert.deepEqual([...r.changed].sort(), ['rm', 'sig-proxy']);
    assert.equal(r.values['sig-proxy'], true);
    assert.equal(r.values.detach, false);
    assert.ok(!r.changed.has('detach'));
  });

  it('gives defaults for flags not set', () => {
    const r = parseRun(['img']);
    assert.equal(r.values.name, '');
    assert.deepEqual(r.values.env, []);
    assert.equal(r.values['sig-proxy'], true);
    assert.equal(r.values.memory, 0);
    assert.deepEqual(r.values.arg, ['x']);
    assert.deepEqual([...r.values.sysctl], []);
    assert.equal(r.changed.size, 0);
  });

  it('accumulates across parse() calls, as docker parses global then command flags', () => {
    const set = new FlagSet(runFlags);
    set.parse(['-d']);
    set.parse(['-e', 'A']);
    assert.equal(set.values.detach, true);
    assert.deepEqual(set.values.env, ['A']);
    assert.deepEqual([...set.changed].sort(), ['detach', 'env']);
  });
});

describe('repeatable types', () => {
  it('stringArray: the first use replaces the default, later ones append [pflag string_array.go]', () => {
    assert.deepEqual(parseRun(['--arg', 'a,b', '--arg', 'c']).values.arg, ['a,b', 'c']);
  });

  it('stringSlice: each value is a CSV record [pflag string_slice.go]', () => {
    assert.deepEqual(parseRun(['--subnet', '10.0.0.0/8,10.1.0.0/16', '--subnet', 'a']).values.subnet, [
      '10.0.0.0/8',
      '10.1.0.0/16',
      'a',
    ]);
    assert.deepEqual(parseRun(['--subnet', '"a,b",c']).values.subnet, ['a,b', 'c']);
    assert.deepEqual(parseRun(['--subnet=']).values.subnet, []);
    assert.equal(
      flagErrorOf(() => parseRun(['--subnet', 'a"b'])),
      'invalid argument "a\\"b" for "--subnet" flag: parse error on line 1, column 2: bare " in non-quoted-field',
    );
  });

  it('map: "k=v" sets k, "k" sets k to "" [opts MapOpts.Set]', () => {
    const r = parseRun(['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'a=b=c', '--sysctl', 'bare']);
    assert.deepEqual(
      [...r.values.sysctl],
      [
        ['net.ipv4.ip_forward', '1'],
        ['a', 'b=c'],
        ['bare', ''],
      ],
    );
  });

  it('validators run per value and their message follows "flag: " [opts ListOpts validator]', () => {
    const flags = defineFlags({
      'add-host': {
        type: 'list',
        usage: 'Add a custom host-to-IP mapping (host:ip)',
        validate: (v: string) => {
          if (!v.includes(':')) throw new Error(`bad format for add-host: ${goQuote(v)}`);
          return v;
        },
      },
    });
    assert.deepEqual(parseFlags(flags, ['--add-host', 'a:1.2.3.4']).values['add-host'], ['a:1.2.3.4']);
    assert.equal(
      flagErrorOf(() => parseFlags(flags, ['--add-host', 'foo'])),
      'invalid argument "foo" for "--add-host" flag: bad format for add-host: "foo"',
    );
  });
});

describe('flag errors, exactly as docker 28.2.2 prints them [docker]', () => {
  const cases: { argv: string[]; message: string }[] = [
    { argv: ['--foo', 'busybox'], message: 'unknown flag: --foo' },
    { argv: ['-x', 'busybox'], message: "unknown shorthand flag: 'x' in -x" },
    { argv: ['-itx', 'busybox'], message: "unknown shorthand flag: 'x' in -x" },
    { argv: ['--name'], message: 'flag needs an argument: --name' },
    { argv: ['-e'], message: "flag needs an argument: 'e' in -e" },
    { argv: ['-ie'], message: "flag needs an argument: 'e' in -e" },
    { argv: ['---x'], message: 'bad flag syntax: ---x' },
    { argv: ['--=x'], message: 'bad flag syntax: --=x' },
    { argv: ['-m', 'abc', 'busybox'], message: `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'` },
    { argv: ['-m', '1x'], message: `invalid argument "1x" for "-m, --memory" flag: invalid suffix: 'x'` },
    { argv: ['-m', '1mbx'], message: `invalid argument "1mbx" for "-m, --memory" flag: invalid suffix: 'mbx'` },
    { argv: ['-m', '1bb'], message: `invalid argument "1bb" for "-m, --memory" flag: invalid suffix: 'bb'` },
    { argv: ['-m', '-1'], message: `invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'` },
    { argv: ['-m', ''], message: `invalid argument "" for "-m, --memory" flag: invalid size: ''` },
    { argv: ['-m', 'inf'], message: `invalid argument "inf" for "-m, --memory" flag: invalid size: 'inf'` },
    {
      argv: ['-m', '1.2.3'],
      message: 'invalid argument "1.2.3" for "-m, --memory" flag: strconv.ParseFloat: parsing "1.2.3": invalid syntax',
    },
    { argv: ['-m', ' 32'], message: 'invalid argument " 32" for "-m, --memory" flag: strconv.ParseFloat: parsing " 32": invalid syntax' },
    { argv: ['-m', '0x10'], message: 'invalid argument "0x10" for "-m, --memory" flag: strconv.ParseFloat: parsing "0x10": invalid syntax' },
    { argv: ['--rm=x'], message: 'invalid argument "x" for "--rm" flag: strconv.ParseBool: parsing "x": invalid syntax' },
    { argv: ['--rm=yes'], message: 'invalid argument "yes" for "--rm" flag: strconv.ParseBool: parsing "yes": invalid syntax' },
    { argv: ['--rm='], message: 'invalid argument "" for "--rm" flag: strconv.ParseBool: parsing "": invalid syntax' },
    {
      argv: ['--health-interval=abc'],
      message: 'invalid argument "abc" for "--health-interval" flag: time: invalid duration "abc"',
    },
    {
      argv: ['--health-interval', '10'],
      message: 'invalid argument "10" for "--health-interval" flag: time: missing unit in duration "10"',
    },
    {
      argv: ['--health-interval', '10x'],
      message: 'invalid argument "10x" for "--health-interval" flag: time: unknown unit "x" in duration "10x"',
    },
    { argv: ['--health-interval', ''], message: 'invalid argument "" for "--health-interval" flag: time: invalid duration ""' },
    {
      argv: ['--health-interval', '9999999999h'],
      message: 'invalid argument "9999999999h" for "--health-interval" flag: time: invalid duration "9999999999h"',
    },
    {
      argv: ['--cpu-shares=abc'],
      message: 'invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    },
    {
      argv: ['--cpu-shares', '99999999999999999999'],
      message: 'invalid argument "99999999999999999999" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
    },
    { argv: ['--cpu-shares', ''], message: 'invalid argument "" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "": invalid syntax' },
    { argv: ['--cpu-shares', ' 1'], message: 'invalid argument " 1" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing " 1": invalid syntax' },
    { argv: ['--cpus', 'abc'], message: 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number' },
    { argv: ['--cpus', ''], message: 'invalid argument "" for "--cpus" flag: failed to parse  as a rational number' },
    { argv: ['--cpus', '1.0000000001'], message: 'invalid argument "1.0000000001" for "--cpus" flag: value is too precise' },
    {
      argv: ['--blkio-weight', '70000'],
      message: 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range',
    },
    {
      argv: ['--blkio-weight', '-1'],
      message: 'invalid argument "-1" for "--blkio-weight" flag: strconv.ParseUint: parsing "-1": invalid syntax',
    },
  ];
  for (const c of cases) {
    it(`docker run ${c.argv.join(' ')}`, () => {
      assert.equal(flagErrorOf(() => parseRun(c.argv)), c.message);
    });
  }

  it('quotes odd values as Go %q does [strconv.Quote]', () => {
    assert.equal(
      flagErrorOf(() => parseRun(['--rm=a"b\\c\n\t\u0001é'])),
      'invalid argument "a\\"b\\\\c\\n\\t\\x01é" for "--rm" flag: strconv.ParseBool: parsing "a\\"b\\\\c\\n\\t\\x01é": invalid syntax',
    );
    assert.equal(flagErrorOf(() => parseFlags({}, ["-'"])), "unknown shorthand flag: '\\'' in -'");
  });

  it('a deprecated shorthand is named by its long form only [pflag Set]', () => {
    const flags = defineFlags({ help: { type: 'bool', short: 'h', shortDeprecated: 'use --help', usage: 'Print usage' } });
    // [docker] `docker ps --help=x`
    assert.equal(
      flagErrorOf(() => parseFlags(flags, ['--help=x'])),
      'invalid argument "x" for "--help" flag: strconv.ParseBool: parsing "x": invalid syntax',
    );
  });
});

describe('values that parse [docker: these reach "Cannot connect to the Docker daemon"]', () => {
  const accepted: { argv: string[]; check: (r: ReturnType<typeof parseRun>) => void }[] = [
    { argv: ['-m', '512m'], check: (r) => assert.equal(r.values.memory, 512 * 1024 ** 2) },
    { argv: ['-m', '1.5GiB'], check: (r) => assert.equal(r.values.memory, 1.5 * 1024 ** 3) },
    { argv: ['-m', '1e3'], check: (r) => assert.equal(r.values.memory, 1000) },
    { argv: ['-m', '32 m'], check: (r) => assert.equal(r.values.memory, 32 * 1024 ** 2) },
    { argv: ['-m', '32 '], check: (r) => assert.equal(r.values.memory, 32) },
    { argv: ['-m', '10_0'], check: (r) => assert.equal(r.values.memory, 100) },
    { argv: ['-m', '+5'], check: (r) => assert.equal(r.values.memory, 5) },
    { argv: ['-m', '1b'], check: (r) => assert.equal(r.values.memory, 1) },
    { argv: ['-m', '1KB'], check: (r) => assert.equal(r.values.memory, 1024) },
    { argv: ['--memory-swap', '-1'], check: (r) => assert.equal(r.values['memory-swap'], -1) },
    { argv: ['--cpus', '1.5'], check: (r) => assert.equal(r.values.cpus, 1_500_000_000) },
    { argv: ['--cpus', '3/2'], check: (r) => assert.equal(r.values.cpus, 1_500_000_000) },
    { argv: ['--cpus', '-1'], check: (r) => assert.equal(r.values.cpus, -1_000_000_000) },
    { argv: ['--cpus', '1e-3'], check: (r) => assert.equal(r.values.cpus, 1_000_000) },
    { argv: ['--cpus', '0x10'], check: (r) => assert.equal(r.values.cpus, 16_000_000_000) },
    { argv: ['--cpus', '1_0'], check: (r) => assert.equal(r.values.cpus, 10_000_000_000) },
    { argv: ['--health-interval', '1h2m3.5s'], check: (r) => assert.equal(r.values['health-interval'], 3_723_500_000_000) },
    { argv: ['--health-interval', '.5s'], check: (r) => assert.equal(r.values['health-interval'], 500_000_000) },
    { argv: ['--health-interval', '1.s'], check: (r) => assert.equal(r.values['health-interval'], 1_000_000_000) },
    { argv: ['--health-interval', '5µs'], check: (r) => assert.equal(r.values['health-interval'], 5_000) },
    { argv: ['--health-interval', '-1s'], check: (r) => assert.equal(r.values['health-interval'], -1_000_000_000) },
    { argv: ['--cpu-shares', '0x10'], check: (r) => assert.equal(r.values['cpu-shares'], 16) },
    { argv: ['--cpu-shares', '010'], check: (r) => assert.equal(r.values['cpu-shares'], 8) },
    { argv: ['--cpu-shares', '1_0'], check: (r) => assert.equal(r.values['cpu-shares'], 10) },
    { argv: ['--cpu-shares', '+1'], check: (r) => assert.equal(r.values['cpu-shares'], 1) },
    { argv: ['--blkio-weight', '0x10'], check: (r) => assert.equal(r.values['blkio-weight'], 16) },
  ];
  for (const c of accepted) {
    it(`docker run ${c.argv.join(' ')}`, () => c.check(parseRun([...c.argv, 'busybox'])));
  }
});

describe('Go value parsers', () => {
  it('strconv.ParseBool accepts exactly Go\'s words [strconv]', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(f), false);
    for (const bad of ['tRUE', 'yes', 'on', ' true', '']) assert.throws(() => parseGoBool(bad));
  });

  it('strconv.ParseInt(s, 0, bits) [strconv]', () => {
    const ok: [string, bigint][] = [
      ['0', 0n], ['-0', 0n], ['0b101', 5n], ['0o17', 15n], ['017', 15n], ['0x1F', 31n], ['-0x10', -16n],
      ['1_000', 1000n], ['0x_1F', 31n], ['9223372036854775807', 9223372036854775807n], ['-9223372036854775808', -9223372036854775808n],
    ];
    for (const [s, v] of ok) assert.equal(parseGoInt(s), v, s);
    const syntax = ['', '+', '-', '0x', '08', '1__0', '_1', '1_', 'abc', '1.5', ' 1'];
    for (const s of syntax) assert.throws(() => parseGoInt(s), { message: `strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax` }, s);
    for (const s of ['9223372036854775808', '-9223372036854775809']) {
      assert.throws(() => parseGoInt(s), { message: `strconv.ParseInt: parsing ${goQuote(s)}: value out of range` });
    }
    assert.throws(() => parseGoInt('2147483648', 32), { message: 'strconv.ParseInt: parsing "2147483648": value out of range' });
  });

  it('strconv.ParseUint(s, 0, bits) [strconv]', () => {
    assert.equal(parseGoUint('65535', 16), 65535n);
    assert.throws(() => parseGoUint('65536', 16), { message: 'strconv.ParseUint: parsing "65536": value out of range' });
    assert.throws(() => parseGoUint('+1', 16), { message: 'strconv.ParseUint: parsing "+1": invalid syntax' });
  });

  it('strconv.ParseFloat [strconv]', () => {
    const ok: [string, number][] = [
      ['1', 1], ['1.', 1], ['.5', 0.5], ['-2.5e3', -2500], ['1_000.5', 1000.5], ['inf', Infinity], ['-Infinity', -Infinity],
      ['+INF', Infinity], ['0x1p-2', 0.25], ['0x1.8p1', 3],
    ];
    for (const [s, v] of ok) assert.equal(parseGoFloat(s), v, s);
    assert.ok(Number.isNaN(parseGoFloat('NaN')));
    for (const s of ['', '.', 'e5', '1e', '1_.5', '0x10', '+nan', 'infin', '1.2.3', ' 1']) {
      assert.throws(() => parseGoFloat(s), { message: `strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax` }, s);
    }
    assert.throws(() => parseGoFloat('1e400'), { message: 'strconv.ParseFloat: parsing "1e400": value out of range' });
  });

  it('time.ParseDuration [strconv: Go time package]', () => {
    const ok: [string, number][] = [
      ['0', 0], ['+0', 0], ['10s', 10e9], ['1m30s', 90e9], ['1.5h', 5400e9], ['300ms', 300e6], ['1us', 1e3], ['1μs', 1e3],
      ['2ns', 2], ['-1.5s', -1.5e9], ['1h1m1s1ms1us1ns', 3661001001001], ['2562047h47m16.854775807s', 9223372036854775807],
    ];
    for (const [s, v] of ok) assert.equal(parseGoDuration(s), v, s);
    assert.throws(() => parseGoDuration('1'), { message: 'time: missing unit in duration "1"' });
    assert.throws(() => parseGoDuration('.s'), { message: 'time: invalid duration ".s"' });
    assert.throws(() => parseGoDuration('1s2'), { message: 'time: missing unit in duration "1s2"' });
    assert.throws(() => parseGoDuration('1d'), { message: 'time: unknown unit "d" in duration "1d"' });
    assert.throws(() => parseGoDuration('1é'), { message: 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"' });
    assert.throws(() => parseGoDuration('2562047h47m16.854775808s'), { message: 'time: invalid duration "2562047h47m16.854775808s"' });
  });

  it('time.Duration.String [Go time package]', () => {
    const cases: [number, string][] = [
      [0, '0s'], [1, '1ns'], [1100, '1.1µs'], [2_200_000, '2.2ms'], [1_500_000_000, '1.5s'], [90e9, '1m30s'],
      [5400e9, '1h30m0s'], [2160 * 3600e9, '2160h0m0s'], [-1_500_000_000, '-1.5s'], [5e9, '5s'], [300e6, '300ms'],
    ];
    for (const [ns, text] of cases) assert.equal(formatGoDuration(ns), text, text);
  });

  it('go-units RAMInBytes [units size_test.go TestRAMInBytes]', () => {
    const KiB = 1024;
    const ok: [string, number][] = [
      ['32', 32], ['32b', 32], ['32B', 32], ['32k', 32 * KiB], ['32K', 32 * KiB], ['32kb', 32 * KiB], ['32Kb', 32 * KiB],
      ['32Kib', 32 * KiB], ['32KIB', 32 * KiB], ['32Mb', 32 * KiB ** 2], ['32Gb', 32 * KiB ** 3], ['32Tb', 32 * KiB ** 4],
      ['32Pb', 32 * KiB ** 5], ['32PB', 32 * KiB ** 5], ['32P', 32 * KiB ** 5], ['32.3', 32],
      ['32.3 mb', Math.trunc(32.3 * KiB ** 2)], ['0.3MB', Math.trunc(0.3 * KiB ** 2)],
    ];
    for (const [s, v] of ok) assert.equal(parseRamInBytes(s), v, s);
    for (const s of ['', 'hello', '-32', ' 32 ', '32m b', '32bm']) assert.throws(() => parseRamInBytes(s), s);
  });

  it('go-units BytesSize [units size_test.go TestBytesSize]', () => {
    const KiB = 1024;
    assert.equal(formatBytesSize(1024), '1KiB');
    assert.equal(formatBytesSize(KiB * KiB), '1MiB');
    assert.equal(formatBytesSize(2 * KiB ** 2), '2MiB');
    assert.equal(formatBytesSize(3.42 * KiB ** 3), '3.42GiB');
    assert.equal(formatBytesSize(5.372 * KiB ** 4), '5.372TiB');
    assert.equal(formatBytesSize(2.22 * KiB ** 5), '2.22PiB');
    assert.equal(formatBytesSize(KiB ** 5 * KiB ** 5), '1.049e+06YiB');
    assert.equal(formatBytesSize(64 * KiB ** 2), '64MiB');
    assert.equal(formatBytesSize(1000), '1000B');
  });

  it('docker NanoCPUs parse and print [opts ParseCPUs, NanoCPUs.String]', () => {
    assert.equal(parseNanoCpus('0.000000001'), 1);
    assert.equal(parseNanoCpus('1/1000000000'), 1);
    assert.equal(parseNanoCpus('0b11'), 3_000_000_000);
    assert.equal(parseNanoCpus('1.5e1'), 15_000_000_000);
    assert.equal(parseNanoCpus('0x1p-1'), 500_000_000);
    assert.throws(() => parseNanoCpus('1/3'), { message: 'value is too precise' });
    assert.throws(() => parseNanoCpus('1/0'), { message: 'failed to parse 1/0 as a rational number' });
    assert.throws(() => parseNanoCpus(' 1'), { message: 'failed to parse  1 as a rational number' });
    assert.throws(() => parseNanoCpus('1.5.2'), { message: 'failed to parse 1.5.2 as a rational number' });
    assert.equal(formatNanoCpus(0), '');
    assert.equal(formatNanoCpus(1_500_000_000), '1.500');
    assert.equal(formatNanoCpus(1_000_500_000), '1.001');
    assert.equal(formatNanoCpus(-2_000_000_000), '-2.000');
  });

  it('Go %v of float64 [strconv FormatFloat(f, \'g\', -1, 64)]', () => {
    const cases: [number, string][] = [[0.5, '0.5'], [100000, '100000'], [1e6, '1e+06'], [0.0001, '0.0001'], [1e-5, '1e-05'], [1.25, '1.25']];
    for (const [x, text] of cases) assert.equal(formatGoFloat(x), text);
  });

  it('encoding/csv first record [strconv: Go encoding/csv]', () => {
    assert.deepEqual(readCsvRecord('a,b,c'), ['a', 'b', 'c']);
    assert.deepEqual(readCsvRecord('"a,b",c'), ['a,b', 'c']);
    assert.deepEqual(readCsvRecord('"a""b"'), ['a"b']);
    assert.deepEqual(readCsvRecord('a,'), ['a', '']);
    assert.deepEqual(readCsvRecord(' a'), [' a']);
    assert.deepEqual(readCsvRecord('a,b\nc,d'), ['a', 'b']);
    assert.throws(() => readCsvRecord('"a"b'), { message: 'parse error on line 1, column 3: extraneous or missing " in quoted-field' });
    assert.throws(() => readCsvRecord('"abc'), { message: 'parse error on line 1, column 5: extraneous or missing " in quoted-field' });
  });
});

describe('deprecation notices [pflag Set, parseSingleShortArg]', () => {
  it('prints "Flag --x has been deprecated" after use, "Flag shorthand -h ..." for a deprecated letter', () => {
    const lines: string[] = [];
    const flags = defineFlags({
      old: { type: 'string', deprecated: 'use --new', usage: 'Old flag' },
      help: { type: 'bool', short: 'h', shortDeprecated: 'use --help', usage: 'Print usage' },
    });
    const r = parseFlags(flags, ['--old', 'x', '-h'], { warn: (line) => lines.push(line) });
    assert.equal(r.values.old, 'x');
    assert.equal(r.values.help, true);
    assert.deepEqual(lines, ['Flag --old has been deprecated, use --new\n', 'Flag shorthand -h has been deprecated, use --help\n']);
  });
});

describe('flag definitions', () => {
  it('rejects a shorthand used twice, as pflag panics', () => {
    assert.throws(() => new FlagSet({ a: { type: 'bool', short: 'x', usage: '' }, b: { type: 'bool', short: 'x', usage: '' } }));
  });
});

// ---------------------------------------------------------------------------
// Help text, compared with docker's own (cited command, on this machine).

const formatUsage =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const psFlags = defineFlags({
  all: { type: 'bool', short: 'a', usage: 'Show all containers (default shows just running)' },
  filter: { type: 'list', short: 'f', typeName: 'filter', usage: 'Filter output based on conditions provided' },
  format: { type: 'string', usage: formatUsage },
  last: { type: 'int', short: 'n', default: -1, usage: 'Show n last created containers (includes all states)' },
  latest: { type: 'bool', short: 'l', usage: 'Show the latest created container (includes all states)' },
  'no-trunc': { type: 'bool', usage: "Don't truncate output" },
  quiet: { type: 'bool', short: 'q', usage: 'Only display container IDs' },
  size: { type: 'bool', short: 's', usage: 'Display total file sizes' },
  help: { type: 'bool', short: 'h', shortDeprecated: 'use --help', hidden: true, usage: 'Print usage' },
});

describe('flag usages in help [pflag FlagUsagesWrapped, as docker wraps at terminal width - 1]', () => {
  it('docker ps --help, stdin not a terminal (80 columns)', () => {
    assert.equal(
      formatFlagUsages(psFlags, 79),
      `  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
  -n, --last int        Show n last created containers (includes all
                        states) (default -1)
  -l, --latest          Show the latest created container (includes all
                        states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes
`,
    );
  });

  it('docker ps --help on a 120-column terminal', () => {
    assert.equal(
      formatFlagUsages(psFlags, 119),
      `  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format with column headers (default)
                        'table TEMPLATE':   Print output in table format using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template.
                        Refer to https://docs.docker.com/go/formatting/ for more information about formatting
                        output with templates
  -n, --last int        Show n last created containers (includes all states) (default -1)
  -l, --latest          Show the latest created container (includes all states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes
`,
    );
  });

  it('docker ps --help on a 60-column terminal (an unbreakable word overflows)', () => {
    assert.equal(
      formatFlagUsages(psFlags, 59),
      `  -a, --all             Show all containers (default
                        shows just running)
  -f, --filter filter   Filter output based on
                        conditions provided
      --format string   Format output using a custom
                        template:
                        'table':            Print
                        output in table format with
                        column headers (default)
                        'table TEMPLATE':   Print
                        output in table format using
                        the given Go template
                        'json':             Print in
                        JSON format
                        'TEMPLATE':         Print
                        output using the given Go
                        template.
                        Refer to
                        https://docs.docker.com/go/formatting/ for more information about formatting output with templates
  -n, --last int        Show n last created
                        containers (includes all
                        states) (default -1)
  -l, --latest          Show the latest created
                        container (includes all states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes
`,
    );
  });

  const cgroupnsUsage =
    "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)";

  // Twenty-two of docker run's flags, with their real usage strings and types.
  const runHelpFlags: FlagSpecs = defineFlags({
    'add-host': { type: 'list', usage: 'Add a custom host-to-IP mapping (host:ip)' },
    annotation: { type: 'map', usage: 'Add an annotation to the container (passed through to the OCI runtime)' },
    'blkio-weight': { type: 'uint16', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
    cgroupns: { type: 'string', usage: cgroupnsUsage },
    cpus: { type: 'decimal', usage: 'Number of CPUs' },
    detach: { type: 'bool', short: 'd', usage: 'Run container in background and print container ID' },
    'disable-content-trust': { type: 'bool', default: true, usage: 'Skip image verification' },
    env: { type: 'list', short: 'e', usage: 'Set environment variables' },
    gpus: { type: 'string', typeName: 'gpu-request', usage: "GPU devices to add to the container ('all' to pass all GPUs)" },
    'health-interval': { type: 'duration', usage: 'Time between running the check (ms|s|m|h)' },
    'health-start-interval': { type: 'duration', usage: 'Time between running the check during the start period (ms|s|m|h)' },
    help: { type: 'bool', usage: 'Print usage' },
    hostname: { type: 'string', short: 'h', usage: 'Container host name' },
    memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
    'memory-swap': { type: 'swapBytes', usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
    'memory-swappiness': { type: 'int64', default: -1, usage: 'Tune container memory swappiness (0 to 100)' },
    pull: { type: 'string', default: 'missing', usage: 'Pull image before running ("always", "missing", "never")' },
    rm: { type: 'bool', usage: 'Automatically remove the container and its associated anonymous volumes when it exits' },
    'sig-proxy': { type: 'bool', default: true, usage: 'Proxy received signals to the process' },
    sysctl: { type: 'map', usage: 'Sysctl options' },
    tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
    ulimit: { type: 'list', typeName: 'ulimit', defaultText: '[]', usage: 'Ulimit options' },
  });

  it('docker run --help (80 columns): those flags\' lines, verbatim', () => {
    assert.equal(
      formatFlagUsages(runHelpFlags, 79),
      `      --add-host list                    Add a custom host-to-IP mapping
                                         (host:ip)
      --annotation map                   Add an annotation to the
                                         container (passed through to the
                                         OCI runtime) (default map[])
      --blkio-weight uint16              Block IO (relative weight),
                                         between 10 and 1000, or 0 to
                                         disable (default 0)
      --cgroupns string                  Cgroup namespace to use
                                         (host|private)
                                         'host':    Run the container in
                                         the Docker host's cgroup
                                         namespace
                                         'private': Run the container in
                                         its own private cgroup namespace
                                         '':        Use the cgroup
                                         namespace as configured by the
                                                    default-cgroupns-mode
                                         option on the daemon (default)
      --cpus decimal                     Number of CPUs
  -d, --detach                           Run container in background and
                                         print container ID
      --disable-content-trust            Skip image verification (default
                                         true)
  -e, --env list                         Set environment variables
      --gpus gpu-request                 GPU devices to add to the
                                         container ('all' to pass all GPUs)
      --health-interval duration         Time between running the check
                                         (ms|s|m|h) (default 0s)
      --health-start-interval duration   Time between running the check
                                         during the start period
                                         (ms|s|m|h) (default 0s)
      --help                             Print usage
  -h, --hostname string                  Container host name
  -m, --memory bytes                     Memory limit
      --memory-swap bytes                Swap limit equal to memory plus
                                         swap: '-1' to enable unlimited swap
      --memory-swappiness int            Tune container memory swappiness
                                         (0 to 100) (default -1)
      --pull string                      Pull image before running
                                         ("always", "missing", "never")
                                         (default "missing")
      --rm                               Automatically remove the
                                         container and its associated
                                         anonymous volumes when it exits
      --sig-proxy                        Proxy received signals to the
                                         process (default true)
      --sysctl map                       Sysctl options (default map[])
  -t, --tty                              Allocate a pseudo-TTY
      --ulimit ulimit                    Ulimit options (default [])
`,
    );
  });

  it('docker run --help on a 60-column terminal: too narrow, usage moves below at column 16', () => {
    const narrow = formatFlagUsages(runHelpFlags, 59).split('\n');
    const at = narrow.indexOf('      --cgroupns string                  ');
    assert.notEqual(at, -1);
    assert.deepEqual(narrow.slice(at, at + 13), [
      '      --cgroupns string                  ',
      '                Cgroup namespace to use',
      '                (host|private)',
      "                'host':    Run the container in the",
      "                Docker host's cgroup namespace",
      "                'private': Run the container in its",
      '                own private cgroup namespace',
      "                '':        Use the cgroup namespace",
      '                as configured by the',
      '                           default-cgroupns-mode',
      '                option on the daemon (default)',
      '      --cpus decimal                     ',
      '                Number of CPUs',
    ]);
  });

  it('no wrapping when columns is 0 [pflag FlagUsages]', () => {
    const flags = defineFlags({ x: { type: 'string', usage: 'a\nb' } });
    assert.equal(formatFlagUsages(flags, 0), '      --x string   a\n                   b\n');
  });

  it('type words and defaults per type [pflag UnquoteUsage, defaultIsZeroValue; docker opts String()]', () => {
    const flags = defineFlags({
      a: { type: 'int64', default: 5, usage: 'i64' },
      b: { type: 'uint64', usage: 'u64' },
      c: { type: 'float', default: 0.5, usage: 'f' },
      d: { type: 'stringSlice', default: ['x', 'y,z'], usage: 's' },
      e: { type: 'stringArray', usage: 'sa' },
      f: { type: 'bytes', default: 64 * 1024 * 1024, usage: 'mem' },
      g: { type: 'decimal', default: 1_500_000_000, usage: 'cpus' },
      h: { type: 'string', usage: 'the `path` to use' },
      i: { type: 'list', default: ['p', 'q'], usage: 'l' },
      j: { type: 'map', default: { b: '2', a: '1' }, usage: 'm' },
      k: { type: 'duration', default: 5e9, usage: 'dur' },
      l: { type: 'string', default: 'x', defaultText: null, usage: 'hidden default' },
      m: { type: 'string', hidden: true, usage: 'never shown' },
      n: { type: 'string', deprecated: 'gone', usage: 'never shown' },
    });
    assert.equal(
      formatFlagUsages(flags, 0),
      `      --a int           i64 (default 5)
      --b uint          u64
      --c float         f (default 0.5)
      --d strings       s (default [x,"y,z"])
      --e stringArray   sa
      --f bytes         mem (default 64MiB)
      --g decimal       cpus (default 1.500)
      --h path          the path to use
      --i list          l (default [p q])
      --j map           m (default map[a:1 b:2])
      --k duration      dur (default 5s)
      --l string        hidden default
`,
    );
  });
});
