// version, info, system df and events against docker 28.2.2: a fake daemon
// answers both CLIs with the same recorded bodies (testdata/: /version and
// /info recorded from berthd, a /system/df covering every row kind, an event
// stream) and the outputs are compared byte for byte. The client half of
// version and info is berth's own (its version, Node), so only the server
// half and templates over server fields are compared there.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getTimestamp, prettyEvent } from '../../../../src/cli/commands/system/events.js';
import { reformatDate } from '../../../../src/cli/commands/system/client-info.js';
import { confirmationMessage } from '../../../../src/cli/commands/system/prune.js';
import { parseFilters } from '../../../../src/cli/shared-options.js';
import { dockerCli, runCli, startFakeDaemon, type FakeDaemon } from '../image/fake-daemon.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../../test/unit/cli/system/testdata');
const read = (name: string): string => readFileSync(path.join(testdata, name), 'utf8');
const haveDocker = existsSync(dockerCli);

describe('system helpers', () => {
  it('reformatDate prints RFC 3339 times as time.ANSIC in their own zone', () => {
    assert.equal(reformatDate('2026-11-23T10:12:00.231Z'), 'Mon Nov 23 10:12:00 2026');
    assert.equal(reformatDate('2024-03-05T01:02:03+01:00'), 'Tue Mar  5 01:02:03 2024');
    assert.equal(reformatDate('not a date'), 'not a date');
  });

  it('getTimestamp as docker sends --since/--until', () => {
    const now = new Date(Date.UTC(2024, 0, 1, 12, 0, 0));
    assert.equal(getTimestamp('10m', now), String(Date.UTC(2024, 0, 1, 11, 50, 0) / 1000));
    assert.equal(getTimestamp('1700000000', now), '1700000000');
    assert.equal(getTimestamp('1700000000.5', now), '1700000000.5');
    assert.equal(getTimestamp('2024-01-01T00:00:00Z', now), `${Date.UTC(2024, 0, 1) / 1000}.000000000`);
    assert.equal(getTimestamp('2024-01-01T00:00:00.25+01:00', now), `${Date.UTC(2023, 11, 31, 23) / 1000}.250000000`);
    assert.throws(() => getTimestamp('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
  });

  it('events print attributes sorted', () => {
    const line = prettyEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'x', exitCode: '0' } } });
    assert.equal(line, 'container die abc (exitCode=0, name=x)\n');
  });

  it("system prune's confirmation (docker's template)", () => {
    const plain = confirmationMessage({ volumes: false, all: false, buildCache: true, filters: new Map() });
    assert.equal(
      plain,
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue?',
    );
    const filtered = confirmationMessage({ volumes: true, all: true, buildCache: true, filters: parseFilters(['label=a', 'until=1h', 'label!=b']) });
    assert.match(filtered, /all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n\n  Items to be pruned will be filtered with:\n  - label!=b\n  - label=a\n  - until=1h\n\nAre you sure/);
  });
});

describe('version, info, df and events print what docker prints', { skip: !haveDocker && 'no docker CLI' }, () => {
  let daemon: FakeDaemon;
  let configDir: string;
  before(async () => {
    configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-system-'));
    daemon = await startFakeDaemon((req) => {
      if (req.path === '/version') return { body: JSON.parse(read('version-berthd.json')) };
      if (req.path === '/info') return { body: JSON.parse(read('info-berthd.json')) };
      if (req.path === '/system/df') return { body: JSON.parse(read('df.json')) };
      if (req.path === '/events') return { chunks: read('events.jsonl').split(/(?<=\n)/) };
      return undefined;
    });
  });
  after(async () => {
    await daemon?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ DOCKER_CONFIG: configDir, TZ: 'UTC' });
  const serverHalf = (text: string): string => text.slice(text.indexOf('\nServer'));

  const same = async (args: string[], pick: (s: string) => string = (s) => s): Promise<void> => {
    const docker = await runCli('docker', daemon.host, args, { env: env() });
    const berth = await runCli('berth', daemon.host, args, { env: env() });
    assert.equal(pick(berth.stdout), pick(docker.stdout), `stdout of ${args.join(' ')}`);
    assert.equal(berth.stderr, docker.stderr, `stderr of ${args.join(' ')}`);
    assert.equal(berth.code, docker.code, `exit code of ${args.join(' ')}`);
  };

  it('version: the server section', () => same(['version'], serverHalf));
  it('version --format {{.Server.APIVersion}} → 1.47', async () => {
    await same(['version', '--format', '{{.Server.APIVersion}}']);
    const berth = await runCli('berth', daemon.host, ['version', '--format', '{{.Server.APIVersion}}'], { env: env() });
    assert.equal(berth.stdout, '1.47\n');
  });
  it('version --format {{json .Server}}', () => same(['version', '--format', '{{json .Server}}']));
  it('version: a field Go does not have', () => same(['version', '--format', '{{.Server.ApiVersion}}']));
  it('version: a template that does not parse', () => same(['version', '--format', '{{.Server']));
  it('version: components through range and index', () =>
    same(['version', '--format', '{{range .Server.Components}}{{.Name}}={{.Version}} {{index .Details "GitCommit"}};{{end}}']));

  it('info: the server section', () => same(['info'], serverHalf));
  it('info --format {{json .}} (server fields)', () => same(['info', '--format', '{{json .}}'], (s) => s.replace(/,"ClientInfo":.*$/s, '')));
  it('info --format with Go names', () => same(['info', '--format', '{{.CPUCfsPeriod}} {{.HTTPProxy}}|{{.Plugins.Network}} {{.RegistryConfig.InsecureRegistryCIDRs}} {{.Swarm.LocalNodeState}} {{.DriverStatus}}']));
  it('info: a missing field', () => same(['info', '--format', 'x{{.Nope}}']));

  for (const args of [['system', 'df'], ['system', 'df', '--format', 'json'], ['system', 'df', '--format', 'raw'], ['system', 'df', '--format', 'table {{.Type}}\t{{.Reclaimable}}'], ['system', 'df', '-v']]) {
    it(args.join(' '), () => same(args, (s) => s.replace(/\d+ (years|months|weeks|days|hours) ago/g, 'AGO')));
  }

  for (const args of [['events'], ['events', '--format', 'json'], ['events', '--format', '{{.Type}} {{.Actor.ID}} {{.TimeNano}} {{.Actor.Attributes.name}}'], ['events', '--format', '{{.Nope}}']]) {
    it(args.join(' '), () => same(args));
  }

  it('events --since/--until/--filter reach the daemon as docker sends them', async () => {
    const args = ['events', '--since', '2024-01-01T00:00:00Z', '--until', '1704067300', '--filter', 'type=container', '--filter', 'event=start'];
    daemon.requests.length = 0;
    await runCli('docker', daemon.host, args, { env: env() });
    const sorted = (q: URLSearchParams): string => [...q.entries()].map(([k, v]) => `${k}=${v}`).sort().join('&');
    const fromDocker = sorted(daemon.requests.find((r) => r.path === '/events')!.query);
    daemon.requests.length = 0;
    await runCli('berth', daemon.host, args, { env: env() });
    const fromBerth = sorted(daemon.requests.find((r) => r.path === '/events')!.query);
    assert.equal(fromBerth, fromDocker);
  });
});
