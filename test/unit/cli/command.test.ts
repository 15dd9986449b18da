// The command framework against docker's behaviour. Every expected output
// below was produced by /usr/local/bin/docker 28.2.2 on this machine with
// DOCKER_HOST=unix:///nonexistent (flag and argument errors print before any
// connection is tried), with "docker" replaced by "berth"; the docker command
// line is in each test's name. Where docker reached "Cannot connect to the
// Docker daemon", the command parsed, and here it runs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CommandRegistry,
  StatusError,
  defineCommand,
  dispatch,
  exactArgs,
  maxArgs,
  minArgs,
  noArgs,
  rangeArgs,
  type CliIO,
  type CommandContext,
  type GlobalOptions,
} from '../../../src/cli/command.js';
import type { FlagSpecs } from '../../../src/cli/flags.js';

// ---------------------------------------------------------------------------
// A registry shaped like docker's, with docker's real usage strings.

interface Invocation {
  command: string;
  flags: Record<string, unknown>;
  changed: string[];
  args: readonly string[];
  argsLenAtDash: number;
  global: GlobalOptions;
  commandPath: string;
  useLine: string;
}

let lastInvocation: Invocation | undefined;

function recorder<F extends FlagSpecs>(command: string) {
  return (ctx: CommandContext<F>): number => {
    lastInvocation = {
      command,
      flags: { ...ctx.flags },
      changed: [...ctx.changed].sort(),
      args: ctx.args,
      argsLenAtDash: ctx.argsLenAtDash,
      global: ctx.global,
      commandPath: ctx.commandPath,
      useLine: ctx.useLine,
    };
    return 0;
  };
}

const formatUsage =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

const containerLs = defineCommand({
  name: 'ls',
  aliases: ['list', 'ps'],
  usage: '[OPTIONS]',
  description: 'List containers',
  args: noArgs,
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Show all containers (default shows just running)' },
    filter: { type: 'list', short: 'f', typeName: 'filter', usage: 'Filter output based on conditions provided' },
    format: { type: 'string', usage: formatUsage },
    last: { type: 'int', short: 'n', default: -1, usage: 'Show n last created containers (includes all states)' },
    latest: { type: 'bool', short: 'l', usage: 'Show the latest created container (includes all states)' },
    'no-trunc': { type: 'bool', usage: "Don't truncate output" },
    quiet: { type: 'bool', short: 'q', usage: 'Only display container IDs' },
    size: { type: 'bool', short: 's', usage: 'Display total file sizes' },
  },
  run: recorder('container ls'),
});

const containerRm = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  args: minArgs(1),
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force the removal of a running container (uses SIGKILL)' },
    link: { type: 'bool', short: 'l', usage: 'Remove the specified link' },
    volumes: { type: 'bool', short: 'v', usage: 'Remove anonymous volumes associated with the container' },
  },
  run: recorder('container rm'),
});

const containerRun = defineCommand({
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: minArgs(1),
  interspersed: false,
  flags: {
    detach: { type: 'bool', short: 'd', usage: 'Run container in background and print container ID' },
    env: { type: 'list', short: 'e', usage: 'Set environment variables' },
    help: { type: 'bool', usage: 'Print usage' },
    hostname: { type: 'string', short: 'h', usage: 'Container host name' },
    interactive: { type: 'bool', short: 'i', usage: 'Keep STDIN open even if not attached' },
    memory: { type: 'bytes', short: 'm', usage: 'Memory limit' },
    name: { type: 'string', usage: 'Assign a name to the container' },
    rm: {
      type: 'bool',
      usage: 'Automatically remove the container and its associated anonymous volumes when it exits',
    },
    tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
  },
  run: recorder('container run'),
});

const containerExec = defineCommand({
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: minArgs(2),
  interspersed: false,
  flags: {
    detach: { type: 'bool', short: 'd', usage: 'Detached mode: run command in the background' },
    interactive: { type: 'bool', short: 'i', usage: 'Keep STDIN open even if not attached' },
    tty: { type: 'bool', short: 't', usage: 'Allocate a pseudo-TTY' },
    user: { type: 'string', short: 'u', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
  },
  run: recorder('container exec'),
});

const containerPort = defineCommand({
  name: 'port',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  args: rangeArgs(1, 2),
  flags: {},
  run: recorder('container port'),
});

const imageLs = defineCommand({
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  args: maxArgs(1),
  flags: {
    all: { type: 'bool', short: 'a', usage: 'Show all images (default hides intermediate images)' },
    quiet: { type: 'bool', short: 'q', usage: 'Only show image IDs' },
  },
  run: recorder('image ls'),
});

const imageRm = defineCommand({
  name: 'rm',
  aliases: ['remove'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  args: minArgs(1),
  flags: {
    force: { type: 'bool', short: 'f', usage: 'Force removal of the image' },
    'no-prune': { type: 'bool', usage: 'Do not delete untagged parents' },
    platform: {
      type: 'stringSlice',
      usage: 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
    },
  },
  run: recorder('image rm'),
});

const version = defineCommand({
  name: 'version',
  usage: '[OPTIONS]',
  description: 'Show the Docker version information',
  args: noArgs,
  flags: { format: { type: 'string', short: 'f', usage: 'Format output using a custom template' } },
  run: recorder('version'),
});

const tag = defineCommand({
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: exactArgs(2),
  flags: {},
  run: recorder('tag'),
});

const fails = defineCommand({
  name: 'fails',
  usage: 'MODE',
  description: 'Fails as asked',
  args: exactArgs(1),
  flags: {},
  async run(ctx) {
    const mode = ctx.args[0];
    if (mode === 'status') throw new StatusError('docker: Error response from daemon: boom.', 125);
    if (mode === 'silent') throw new StatusError('', 3);
    if (mode === 'zero') throw new StatusError('zero', 0);
    if (mode === 'error') throw new Error('Error: No such container: x');
    return 7;
  },
});

function buildRegistry(): CommandRegistry {
  const registry = new CommandRegistry({
    name: 'berth',
    description: 'A self-sufficient runtime for containers',
    version: 'berth version 0.1.0, build test',
    additionalHelp: 'For more help on how to use berth, head to https://example.invalid/guides/',
  });
  registry.addGroup({ name: 'container', description: 'Manage containers' });
  registry.addGroup({ name: 'image', description: 'Manage images' });
  for (const spec of [containerLs, containerRm, containerRun, containerExec, containerPort]) {
    registry.add(spec, { parent: ['container'] });
  }
  registry.add(imageLs, { parent: ['image'] }).add(imageRm, { parent: ['image'] });
  registry.add(version, { common: 11 }).add(tag).add(fails);
  registry
    .shortcut('run', ['container', 'run'], { common: 1 })
    .shortcut('exec', ['container', 'exec'], { common: 2 })
    .shortcut('ps', ['container', 'ls'], { common: 3 })
    .shortcut('images', ['image', 'ls'], { common: 7 })
    .shortcut('rm', ['container', 'rm'])
    .shortcut('rmi', ['image', 'rm'])
    .shortcut('port', ['container', 'port']);
  return registry;
}

const registry = buildRegistry();

interface Result {
  rc: number;
  stdout: string;
  stderr: string;
}

async function berth(argv: readonly string[], options: { env?: Record<string, string>; terminalWidth?: number } = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? { HOME: '/root' },
    ...(options.terminalWidth === undefined ? {} : { terminalWidth: options.terminalWidth }),
  };
  lastInvocation = undefined;
  const rc = await dispatch(registry, argv, io);
  return { rc, stdout, stderr };
}

function flagError(message: string, useLine: string, path: string): string {
  return `${message}\n\nUsage:  ${useLine}\n\nRun '${path} --help' for more information\n`;
}

const RUN_USE = 'berth run [OPTIONS] IMAGE [COMMAND] [ARG...]';
const ROOT_USE = 'berth [OPTIONS] COMMAND [ARG...]';

// ---------------------------------------------------------------------------

describe('flag errors: exit 125, usage line, pointer to --help [docker FlagErrorFunc]', () => {
  const cases: { argv: string[]; stderr: string }[] = [
    { argv: ['run', '--foo', 'busybox'], stderr: flagError('unknown flag: --foo', RUN_USE, 'berth run') },
    { argv: ['run', '-x', 'busybox'], stderr: flagError("unknown shorthand flag: 'x' in -x", RUN_USE, 'berth run') },
    { argv: ['run', '-itx', 'busybox'], stderr: flagError("unknown shorthand flag: 'x' in -x", RUN_USE, 'berth run') },
    { argv: ['run', '--name'], stderr: flagError('flag needs an argument: --name', RUN_USE, 'berth run') },
    { argv: ['run', '-e'], stderr: flagError("flag needs an argument: 'e' in -e", RUN_USE, 'berth run') },
    { argv: ['run', '-h'], stderr: flagError("flag needs an argument: 'h' in -h", RUN_USE, 'berth run') },
    {
      argv: ['run', '-m', 'abc', 'busybox'],
      stderr: flagError(`invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`, RUN_USE, 'berth run'),
    },
    {
      argv: ['run', '--rm=x', 'busybox'],
      stderr: flagError('invalid argument "x" for "--rm" flag: strconv.ParseBool: parsing "x": invalid syntax', RUN_USE, 'berth run'),
    },
    { argv: ['ps', '-x'], stderr: flagError("unknown shorthand flag: 'x' in -x", 'berth ps [OPTIONS]', 'berth ps') },
    { argv: ['ps', '-D'], stderr: flagError("unknown shorthand flag: 'D' in -D", 'berth ps [OPTIONS]', 'berth ps') },
    { argv: ['ps', '---x'], stderr: flagError('bad flag syntax: ---x', 'berth ps [OPTIONS]', 'berth ps') },
    { argv: ['ps', '--=x'], stderr: flagError('bad flag syntax: --=x', 'berth ps [OPTIONS]', 'berth ps') },
    {
      argv: ['ps', '--help=x'],
      stderr: flagError('invalid argument "x" for "--help" flag: strconv.ParseBool: parsing "x": invalid syntax', 'berth ps [OPTIONS]', 'berth ps'),
    },
    {
      argv: ['image', 'ls', '--foo'],
      stderr: flagError('unknown flag: --foo', 'berth image ls [OPTIONS] [REPOSITORY[:TAG]]', 'berth image ls'),
    },
    { argv: ['container', 'ls', '--foo'], stderr: flagError('unknown flag: --foo', 'berth container ls [OPTIONS]', 'berth container ls') },
    // Flags between command words belong to the group (cobra TraverseChildren).
    { argv: ['container', '--foo', 'ls'], stderr: flagError('unknown flag: --foo', 'berth container', 'berth container') },
    { argv: ['container', '-x', 'ls'], stderr: flagError("unknown shorthand flag: 'x' in -x", 'berth container', 'berth container') },
    { argv: ['container', '--foo'], stderr: flagError('unknown flag: --foo', 'berth container', 'berth container') },
    // Global flags: parsed before the command, reported against the root.
    { argv: ['--foo', 'ps'], stderr: flagError('unknown flag: --foo', ROOT_USE, 'berth') },
    { argv: ['--foo'], stderr: flagError('unknown flag: --foo', ROOT_USE, 'berth') },
    { argv: ['-x'], stderr: flagError("unknown shorthand flag: 'x' in -x", ROOT_USE, 'berth') },
    { argv: ['-H'], stderr: flagError("flag needs an argument: 'H' in -H", ROOT_USE, 'berth') },
    { argv: ['--host'], stderr: flagError('flag needs an argument: --host', ROOT_USE, 'berth') },
    { argv: ['--config'], stderr: flagError('flag needs an argument: --config', ROOT_USE, 'berth') },
    { argv: ['---x', 'ps'], stderr: flagError('bad flag syntax: ---x', ROOT_USE, 'berth') },
    {
      argv: ['--tls=x', 'ps'],
      stderr: flagError('invalid argument "x" for "--tls" flag: strconv.ParseBool: parsing "x": invalid syntax', ROOT_USE, 'berth'),
    },
    // Not a command: the root parses the rest, interspersed.
    { argv: ['foo', '--bar'], stderr: flagError('unknown flag: --bar', ROOT_USE, 'berth') },
    { argv: ['help', '--foo'], stderr: flagError('unknown flag: --foo', 'berth help [command]', 'berth help') },
    { argv: ['help', '-x', 'run'], stderr: flagError("unknown shorthand flag: 'x' in -x", 'berth help [command]', 'berth help') },
  ];
  for (const c of cases) {
    it(`docker ${c.argv.join(' ')}`, async () => {
      const r = await berth(c.argv);
      assert.deepEqual(r, { rc: 125, stdout: '', stderr: c.stderr });
      assert.equal(lastInvocation, undefined);
    });
  }
});

describe('argument counts: exit 1 [docker cli/required.go, 28.2.2 wording]', () => {
  const cases: { argv: string[]; stderr: string }[] = [
    {
      argv: ['rm'],
      stderr:
        "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n",
    },
    {
      argv: ['rm', '-f'],
      stderr:
        "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n",
    },
    {
      argv: ['-v', 'rm'],
      stderr:
        "berth: 'berth rm' requires at least 1 argument\n\nUsage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'berth rm --help' for more information\n",
    },
    {
      argv: ['exec', 'c'],
      stderr:
        "berth: 'berth exec' requires at least 2 arguments\n\nUsage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nSee 'berth exec --help' for more information\n",
    },
    {
      argv: ['run', '-h', 'myhost'],
      stderr: `berth: 'berth run' requires at least 1 argument\n\nUsage:  ${RUN_USE}\n\nSee 'berth run --help' for more information\n`,
    },
    {
      argv: ['run', '--help=false'],
      stderr: `berth: 'berth run' requires at least 1 argument\n\nUsage:  ${RUN_USE}\n\nSee 'berth run --help' for more information\n`,
    },
    {
      argv: ['version', 'extra'],
      stderr:
        "berth: 'berth version' accepts no arguments\n\nUsage:  berth version [OPTIONS]\n\nRun 'berth version --help' for more information\n",
    },
    {
      argv: ['ps', 'extra'],
      stderr: "berth: 'berth ps' accepts no arguments\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n",
    },
    {
      argv: ['ps', '-'],
      stderr: "berth: 'berth ps' accepts no arguments\n\nUsage:  berth ps [OPTIONS]\n\nRun 'berth ps --help' for more information\n",
    },
    {
      argv: ['container', 'ls', '--', '--help'],
      stderr:
        "berth: 'berth container ls' accepts no arguments\n\nUsage:  berth container ls [OPTIONS]\n\nRun 'berth container ls --help' for more information\n",
    },
    {
      argv: ['tag', 'a'],
      stderr:
        "berth: 'berth tag' requires 2 arguments\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth tag --help' for more information\n",
    },
    {
      argv: ['tag', 'a', 'b', 'c'],
      stderr:
        "berth: 'berth tag' requires 2 arguments\n\nUsage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nRun 'berth tag --help' for more information\n",
    },
    // docker really prints "SRun" here (RequiresMaxArgs' format string).
    {
      argv: ['image', 'ls', 'a', 'b'],
      stderr:
        "berth: 'berth image ls' requires at most 1 argument\n\nUsage:  berth image ls [OPTIONS] [REPOSITORY[:TAG]]\n\nSRun 'berth image ls --help' for more information\n",
    },
    {
      argv: ['image', 'list', 'a', 'b'],
      stderr:
        "berth: 'berth image ls' requires at most 1 argument\n\nUsage:  berth image ls [OPTIONS] [REPOSITORY[:TAG]]\n\nSRun 'berth image ls --help' for more information\n",
    },
    {
      argv: ['images', 'a', 'b'],
      stderr:
        "berth: 'berth images' requires at most 1 argument\n\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nSRun 'berth images --help' for more information\n",
    },
    {
      argv: ['port'],
      stderr:
        "berth: 'berth port' requires at least 1 and at most 2 arguments\n\nUsage:  berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nRun 'berth port --help' for more information\n",
    },
    {
      argv: ['port', 'a', 'b', 'c'],
      stderr:
        "berth: 'berth port' requires at least 1 and at most 2 arguments\n\nUsage:  berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nRun 'berth port --help' for more information\n",
    },
  ];
  for (const c of cases) {
    it(`docker ${c.argv.join(' ')}`, async () => {
      const r = await berth(c.argv);
      assert.deepEqual(r, { rc: 1, stdout: '', stderr: c.stderr });
      assert.equal(lastInvocation, undefined);
    });
  }
});

describe('unknown commands and help topics: exit 1', () => {
  const cases: { argv: string[]; stderr: string }[] = [
    { argv: ['foo'], stderr: "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n" },
    { argv: ['foo', '-D'], stderr: "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n" },
    {
      argv: ['image', 'foo'],
      stderr: "berth: unknown command: berth image foo\n\nUsage:  berth image\n\nRun 'berth image --help' for more information\n",
    },
    {
      argv: ['container', 'foo', 'bar'],
      stderr: "berth: unknown command: berth container foo\n\nUsage:  berth container\n\nRun 'berth container --help' for more information\n",
    },
    { argv: ['help', 'foo'], stderr: 'unknown help topic: foo\n' },
    { argv: ['help', 'foo', 'bar'], stderr: 'unknown help topic: foo bar\n' },
    { argv: ['help', 'image', 'foo'], stderr: 'unknown help topic: foo\n' },
    { argv: ['help', 'run', 'extra'], stderr: 'unknown help topic: extra\n' },
  ];
  for (const c of cases) {
    it(`docker ${c.argv.join(' ')}`, async () => {
      assert.deepEqual(await berth(c.argv), { rc: 1, stdout: '', stderr: c.stderr });
    });
  }
});

// ---------------------------------------------------------------------------
// Help.

const PS_HELP = `Usage:  berth ps [OPTIONS]

List containers

Aliases:
  berth container ls, berth container list, berth container ps, berth ps

Options:
  -a, --all             Show all containers (default shows just running)
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
`;

const CONTAINER_LS_HELP = PS_HELP.replace('Usage:  berth ps [OPTIONS]', 'Usage:  berth container ls [OPTIONS]');

const IMAGE_HELP = `Usage:  berth image COMMAND

Manage images

Commands:
  ls          List images
  rm          Remove one or more images

Run 'berth image COMMAND --help' for more information on a command.
`;

const RMI_HELP = `Usage:  berth rmi [OPTIONS] IMAGE [IMAGE...]

Remove one or more images

Aliases:
  berth image rm, berth image remove, berth rmi

Options:
  -f, --force              Force removal of the image
      --no-prune           Do not delete untagged parents
      --platform strings   Remove only the given platform variant.
                           Formatted as "os[/arch[/variant]]" (e.g.,
                           "linux/amd64")
`;

// Layout from docker's usage template (docker --help); the Global Options
// block is docker's, verbatim, for HOME=/root.
const ROOT_HELP = `Usage:  berth [OPTIONS] COMMAND

A self-sufficient runtime for containers

Common Commands:
  run         Create and run a new container from an image
  exec        Execute a command in a running container
  ps          List containers
  images      List images
  version     Show the Docker version information

Management Commands:
  container   Manage containers
  image       Manage images

Commands:
  fails       Fails as asked
  port        List port mappings or a specific mapping for the container
  rm          Remove one or more containers
  rmi         Remove one or more images
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE

Global Options:
      --config string      Location of client config files (default
                           "/root/.docker")
  -c, --context string     Name of the context to use to connect to the
                           daemon (overrides DOCKER_HOST env var and
                           default context set with "berth context use")
  -D, --debug              Enable debug mode
  -H, --host list          Daemon socket to connect to
  -l, --log-level string   Set the logging level ("debug", "info",
                           "warn", "error", "fatal") (default "info")
      --tls                Use TLS; implied by --tlsverify
      --tlscacert string   Trust certs signed only by this CA (default
                           "/root/.docker/ca.pem")
      --tlscert string     Path to TLS certificate file (default
                           "/root/.docker/cert.pem")
      --tlskey string      Path to TLS key file (default
                           "/root/.docker/key.pem")
      --tlsverify          Use TLS and verify the remote
  -v, --version            Print version information and quit

Run 'berth COMMAND --help' for more information on a command.

For more help on how to use berth, head to https://example.invalid/guides/
`;

const HELP_HELP = 'Usage:  berth help [command]\n\nHelp about the command\n';
const DEPRECATED_H = 'Flag shorthand -h has been deprecated, use --help\n';

describe('help [docker usage template, cli/cobra.go]', () => {
  const onStdout: { argv: string[]; stdout: string; stderr?: string }[] = [
    { argv: ['ps', '--help'], stdout: PS_HELP },
    { argv: ['ps', '--help', 'extra'], stdout: PS_HELP },
    { argv: ['ps', '-a', '--help'], stdout: PS_HELP },
    { argv: ['ps', '-h'], stdout: DEPRECATED_H + PS_HELP },
    { argv: ['ps', '-ah'], stdout: DEPRECATED_H + PS_HELP },
    { argv: ['ps', '-ha'], stdout: DEPRECATED_H + PS_HELP },
    { argv: ['--help', 'ps'], stdout: PS_HELP },
    { argv: ['-h', 'ps'], stdout: PS_HELP, stderr: DEPRECATED_H },
    { argv: ['help', 'ps'], stdout: PS_HELP },
    { argv: ['container', 'ls', '--help'], stdout: CONTAINER_LS_HELP },
    { argv: ['container', 'list', '--help'], stdout: CONTAINER_LS_HELP },
    { argv: ['container', 'ls', '--help', 'extra'], stdout: CONTAINER_LS_HELP },
    { argv: ['help', 'container', 'ls'], stdout: CONTAINER_LS_HELP },
    { argv: ['image', '--help'], stdout: IMAGE_HELP },
    { argv: ['image', '-h'], stdout: DEPRECATED_H + IMAGE_HELP },
    { argv: ['help', 'image'], stdout: IMAGE_HELP },
    { argv: ['rmi', '--help'], stdout: RMI_HELP },
    { argv: ['image', 'rm', '--help'], stdout: RMI_HELP.replace('Usage:  berth rmi', 'Usage:  berth image rm') },
    { argv: ['--help'], stdout: ROOT_HELP },
    { argv: ['--help', 'foo'], stdout: ROOT_HELP },
    { argv: ['-h'], stdout: ROOT_HELP, stderr: DEPRECATED_H },
    { argv: ['help'], stdout: ROOT_HELP },
    { argv: ['help', '--help'], stdout: HELP_HELP },
    { argv: ['help', 'help'], stdout: HELP_HELP },
  ];
  for (const c of onStdout) {
    it(`docker ${c.argv.join(' ')}: stdout, exit 0`, async () => {
      assert.deepEqual(await berth(c.argv), { rc: 0, stdout: c.stdout, stderr: c.stderr ?? '' });
      assert.equal(lastInvocation, undefined);
    });
  }

  it('docker image --help ls: help requested on the group applies to the command found', async () => {
    const r = await berth(['image', '--help', 'ls']);
    assert.equal(r.rc, 0);
    assert.ok(r.stdout.startsWith('Usage:  berth image ls [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\nAliases:\n  berth image ls, berth image list, berth images\n'));
  });

  it('docker (no arguments) and docker image: help on stderr, exit 0', async () => {
    assert.deepEqual(await berth([]), { rc: 0, stdout: '', stderr: ROOT_HELP });
    assert.deepEqual(await berth(['image']), { rc: 0, stdout: '', stderr: IMAGE_HELP });
    assert.deepEqual(await berth(['-D', 'image']), { rc: 0, stdout: '', stderr: IMAGE_HELP });
  });

  it('docker run --help: a command\'s own --help is listed, -h is its hostname', async () => {
    const r = await berth(['run', '--help', 'busybox']);
    assert.equal(r.rc, 0);
    assert.equal(
      r.stdout,
      `Usage:  ${RUN_USE}

Create and run a new container from an image

Aliases:
  berth container run, berth run

Options:
  -d, --detach            Run container in background and print container ID
  -e, --env list          Set environment variables
      --help              Print usage
  -h, --hostname string   Container host name
  -i, --interactive       Keep STDIN open even if not attached
  -m, --memory bytes      Memory limit
      --name string       Assign a name to the container
      --rm                Automatically remove the container and its
                          associated anonymous volumes when it exits
  -t, --tty               Allocate a pseudo-TTY
`,
    );
  });

  it('a command without visible flags has no Options section (docker port --help)', async () => {
    const r = await berth(['port', '--help']);
    assert.equal(
      r.stdout,
      'Usage:  berth port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nList port mappings or a specific mapping for the container\n\nAliases:\n  berth container port, berth port\n',
    );
  });

  it('wraps at the terminal width less one', async () => {
    const r = await berth(['ps', '--help'], { terminalWidth: 120 });
    assert.ok(
      r.stdout.includes(
        "                        'table':            Print output in table format with column headers (default)\n",
      ),
    );
    assert.ok(r.stdout.includes('  -n, --last int        Show n last created containers (includes all states) (default -1)\n'));
  });

  it('helpText() gives the same text without dispatching', () => {
    assert.equal(registry.helpText(['ps'], { env: { HOME: '/root' } }), PS_HELP);
    assert.equal(registry.helpText([], { env: { HOME: '/root' } }), ROOT_HELP);
  });
});

describe('version [cobra version flag on the root only]', () => {
  it('docker -v / --version / --version foo: print the version', async () => {
    for (const argv of [['-v'], ['--version'], ['--version', 'foo']]) {
      assert.deepEqual(await berth(argv), { rc: 0, stdout: 'berth version 0.1.0, build test\n', stderr: '' });
    }
  });

  it('docker -v image: -v only acts on the root', async () => {
    assert.deepEqual(await berth(['-v', 'image']), { rc: 0, stdout: '', stderr: IMAGE_HELP });
  });
});

// ---------------------------------------------------------------------------
// What a command receives.

describe('running commands', () => {
  it('docker run -it --rm=false ... busybox sh -c "echo hi" --rm: flags stop at the image', async () => {
    const r = await berth(['run', '-it', '--rm=false', '-e', 'A=1', '-eB=2', '--name', 'web', '-m', '1g', 'busybox', 'sh', '-c', 'echo hi', '--rm', '-d']);
    assert.deepEqual(r, { rc: 0, stdout: '', stderr: '' });
    assert.ok(lastInvocation);
    assert.equal(lastInvocation.command, 'container run');
    assert.equal(lastInvocation.commandPath, 'berth run');
    assert.equal(lastInvocation.useLine, RUN_USE);
    assert.deepEqual(lastInvocation.flags, {
      detach: false,
      env: ['A=1', 'B=2'],
      help: false,
      hostname: '',
      interactive: true,
      memory: 1024 ** 3,
      name: 'web',
      rm: false,
      tty: true,
    });
    assert.deepEqual(lastInvocation.changed, ['env', 'interactive', 'memory', 'name', 'rm', 'tty']);
    assert.deepEqual(lastInvocation.args, ['busybox', 'sh', '-c', 'echo hi', '--rm', '-d']);
  });

  it('docker run -h myhost busybox: -h is the hostname on run', async () => {
    await berth(['run', '-h', 'myhost', 'busybox']);
    assert.equal(lastInvocation?.flags.hostname, 'myhost');
  });

  it('docker exec -it c sh -c "ls -la": not interspersed either', async () => {
    await berth(['exec', '-it', 'c', 'sh', '-c', 'ls -la', '-d']);
    assert.equal(lastInvocation?.flags.detach, false);
    assert.deepEqual(lastInvocation?.args, ['c', 'sh', '-c', 'ls -la', '-d']);
  });

  it('docker rm c1 -f c2: other commands take flags after arguments', async () => {
    await berth(['rm', 'c1', '-f', 'c2']);
    assert.equal(lastInvocation?.command, 'container rm');
    assert.deepEqual(lastInvocation?.flags, { force: true, link: false, volumes: false });
    assert.deepEqual(lastInvocation?.changed, ['force']);
    assert.deepEqual(lastInvocation?.args, ['c1', 'c2']);
  });

  it('aliases and paths: docker container remove x, docker container ps', async () => {
    await berth(['container', 'remove', 'x']);
    assert.equal(lastInvocation?.commandPath, 'berth container rm');
    await berth(['container', 'ps']);
    assert.equal(lastInvocation?.command, 'container ls');
    assert.equal(lastInvocation?.commandPath, 'berth container ls');
  });

  it('docker ps -- and docker -- ps: "--" is accepted in both places', async () => {
    assert.equal((await berth(['ps', '--'])).rc, 0);
    assert.equal(lastInvocation?.argsLenAtDash, 0);
    assert.equal((await berth(['--', 'ps'])).rc, 0);
    assert.equal(lastInvocation?.command, 'container ls');
    assert.equal((await berth(['-l', 'debug', '--', 'ps'])).rc, 0);
    assert.equal(lastInvocation?.global.logLevel, 'debug');
  });

  it('global options: docker -H a -H b -D --context x --tlsverify ps', async () => {
    await berth(['-H', 'unix:///a.sock', '-H', 'tcp://b:2375', '-D', '--context', 'x', '--tlsverify', 'ps', '-a']);
    const global = lastInvocation?.global;
    assert.ok(global);
    assert.deepEqual(global.hosts, ['unix:///a.sock', 'tcp://b:2375']);
    assert.equal(global.debug, true);
    assert.equal(global.context, 'x');
    assert.equal(global.tlsVerify, true);
    assert.equal(global.tls, false);
    assert.deepEqual([...global.changed].sort(), ['context', 'debug', 'host', 'tlsverify']);
    assert.equal(lastInvocation?.flags.all, true);
  });

  it('global defaults come from the environment as docker computes them', async () => {
    await berth(['ps'], { env: { HOME: '/home/u', DOCKER_CONFIG: '/cfg', DOCKER_TLS_VERIFY: '1' } });
    let global = lastInvocation?.global;
    assert.equal(global?.config, '/cfg');
    assert.equal(global?.tlsCaCert, '/cfg/ca.pem');
    assert.equal(global?.tlsVerify, true);
    assert.equal(global?.logLevel, 'info');
    assert.deepEqual(global?.hosts, []);
    assert.equal(global?.changed.size, 0);
    await berth(['ps'], { env: { HOME: '/home/u', DOCKER_CERT_PATH: '/certs' } });
    global = lastInvocation?.global;
    assert.equal(global?.config, '/home/u/.docker');
    assert.equal(global?.tlsKey, '/certs/key.pem');
  });

  it('global flags after the command are the command\'s (docker ps -D is an error, docker -D ps is not)', async () => {
    assert.equal((await berth(['ps', '-D'])).rc, 125);
    assert.equal((await berth(['-D', 'ps'])).rc, 0);
  });

  it('exit codes and errors from run [docker main: StatusError, other errors]', async () => {
    assert.deepEqual(await berth(['fails', 'status']), { rc: 125, stdout: '', stderr: 'docker: Error response from daemon: boom.\n' });
    assert.deepEqual(await berth(['fails', 'silent']), { rc: 3, stdout: '', stderr: '' });
    assert.deepEqual(await berth(['fails', 'zero']), { rc: 1, stdout: '', stderr: 'zero\n' });
    assert.deepEqual(await berth(['fails', 'error']), { rc: 1, stdout: '', stderr: 'Error: No such container: x\n' });
    assert.deepEqual(await berth(['fails', 'other']), { rc: 7, stdout: '', stderr: '' });
  });
});

describe('registration', () => {
  it('rejects duplicate names, unknown parents and shortcuts to groups', () => {
    const r = new CommandRegistry({ name: 'berth', description: 'x', version: 'v' });
    r.addGroup({ name: 'image', description: 'Manage images' });
    assert.throws(() => r.addGroup({ name: 'image', description: 'again' }));
    assert.throws(() => r.add(tag, { parent: ['nope'] }));
    assert.throws(() => r.shortcut('img', ['image']));
    assert.throws(() => r.shortcut('x', ['image', 'nope']));
  });
});
