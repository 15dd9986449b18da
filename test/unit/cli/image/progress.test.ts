// Pull progress as the docker CLI draws it. Each recorded JSON stream
// (testdata/*.jsonl: one recorded from berthd, hand-made ones with
// interleaved layers, a unit-count layer and an error) is served by a fake
// daemon to docker 28.2.2 and to berth; their output must be the same bytes,
// on a pipe and on terminals wide enough for bars (120 columns) and not (80).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { displayJSONMessagesStream, displayMessage, JSONMessageError, jsonValues } from '../../../../src/cli/progress.js';
import { dockerCli, runCli, runCliOnTty, startFakeDaemon, type FakeDaemon } from './fake-daemon.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../../test/unit/cli/image/testdata');
const fixtures = ['pull-berthd.jsonl', 'pull-layers.jsonl', 'pull-error.jsonl'] as const;
const haveDocker = existsSync(dockerCli);

function collect(): { out: { write(s: string): void }; text: () => string } {
  let text = '';
  return { out: { write: (s: string) => void (text += s) }, text: () => text };
}

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('jsonmessage rendering (moby pkg/jsonmessage)', () => {
  it('splits concatenated JSON values whatever the chunking', async () => {
    const text = '{"a":"}{"}\n{"b":[1,{"c":"\\"}"}]}  {"d":1}';
    for (const size of [1, 3, 7, 100]) {
      const values: string[] = [];
      for await (const v of jsonValues(chunksOf(text, size))) values.push(v);
      assert.deepEqual(values, ['{"a":"}{"}', '{"b":[1,{"c":"\\"}"}]}', '{"d":1}'], `chunk size ${size}`);
    }
  });

  it('non-terminal: status lines only, byte counts left out', async () => {
    const c = collect();
    const stream = readFileSync(path.join(testdata, 'pull-layers.jsonl'), 'utf8');
    await displayJSONMessagesStream(chunksOf(stream, 50), c.out, { isTerminal: false });
    const lines = c.text().split('\n');
    assert.equal(lines[0], '1.0: Pulling from library/app');
    assert.ok(!c.text().includes('Downloading'));
    assert.ok(c.text().includes('5f70bf18a086: Verifying Checksum\n'));
    assert.equal(lines.at(-2), 'Status: Downloaded newer image for 127.0.0.1:5000/app:1.0');
  });

  it('terminal: a new id takes a new line; updates move the cursor up to it and back', async () => {
    const c = collect();
    const stream =
      '{"status":"Pulling fs layer","progressDetail":{},"id":"a"}\n' +
      '{"status":"Pulling fs layer","progressDetail":{},"id":"b"}\n' +
      '{"status":"Downloading","progressDetail":{"current":500,"total":1000},"id":"a"}\n' +
      '{"status":"Digest: x"}\n';
    await displayJSONMessagesStream(chunksOf(stream, 1000), c.out, { isTerminal: true, width: 120 });
    assert.equal(
      c.text(),
      '\n\x1b[1A\x1b[2K\ra: Pulling fs layer \r\x1b[1B' +
        '\n\x1b[1A\x1b[2K\rb: Pulling fs layer \r\x1b[1B' +
        '\x1b[2A\x1b[2K\ra: Downloading [=========================>                         ]     500B/1kB\r\x1b[2B' +
        'Digest: x\n',
    );
  });

  it('bars only on terminals wider than 110 columns', () => {
    const m = { status: 'Downloading', id: 'a', progressDetail: { current: 1_200_000, total: 4_500_000 } };
    assert.equal(displayMessage(m, { isTerminal: true, width: 80 }), '\x1b[2K\ra: Downloading    1.2MB/4.5MB\r');
    assert.equal(displayMessage(m, { isTerminal: true, width: 111 }), '\x1b[2K\ra: Downloading [=============>                                     ]    1.2MB/4.5MB\r');
  });

  it('an errorDetail ends the stream with its message', async () => {
    const c = collect();
    const stream = readFileSync(path.join(testdata, 'pull-error.jsonl'), 'utf8');
    await assert.rejects(displayJSONMessagesStream(chunksOf(stream, 17), c.out, { isTerminal: false }), (err: unknown) => {
      assert.ok(err instanceof JSONMessageError);
      assert.equal(err.message, 'read tcp 127.0.0.1:1->127.0.0.1:2: connection reset by peer');
      return true;
    });
  });
});

describe('berth pull draws what docker pull draws for the same stream', { skip: !haveDocker && 'no docker CLI' }, () => {
  let daemon: FakeDaemon;
  let configDir: string;
  let current = '';
  before(async () => {
    configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-progress-'));
    daemon = await startFakeDaemon((req) => {
      if (req.method === 'POST' && req.path === '/images/create') {
        // a few lines per chunk, as a daemon flushes them
        const lines = current.split(/(?<=\n)/);
        const chunks: string[] = [];
        for (let i = 0; i < lines.length; i += 3) chunks.push(lines.slice(i, i + 3).join(''));
        return { chunks };
      }
      return undefined;
    });
  });
  after(async () => {
    await daemon?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  for (const fixture of fixtures) {
    it(`${fixture}: on a pipe`, async () => {
      current = readFileSync(path.join(testdata, fixture), 'utf8');
      const env = { DOCKER_CONFIG: configDir };
      const docker = await runCli('docker', daemon.host, ['pull', '127.0.0.1:5000/app:1.0'], { env });
      const berth = await runCli('berth', daemon.host, ['pull', '127.0.0.1:5000/app:1.0'], { env });
      assert.equal(berth.stdout, docker.stdout);
      assert.equal(berth.stderr, docker.stderr);
      assert.equal(berth.code, docker.code);
    });
    for (const cols of [120, 80]) {
      it(`${fixture}: on a ${cols}-column terminal`, async () => {
        current = readFileSync(path.join(testdata, fixture), 'utf8');
        const env = { DOCKER_CONFIG: configDir };
        const docker = await runCliOnTty('docker', daemon.host, ['pull', '127.0.0.1:5000/app:1.0'], { cols, env });
        const berth = await runCliOnTty('berth', daemon.host, ['pull', '127.0.0.1:5000/app:1.0'], { cols, env });
        assert.equal(JSON.stringify(berth.output), JSON.stringify(docker.output));
        assert.equal(berth.code, docker.code);
      });
    }
  }
});
