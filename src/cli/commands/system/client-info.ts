// The client half of `version` and `info`: docker's clientVersion struct with
// berth's own figures (its version, the Node it runs on, the context in use).
import { berthVersion, gitCommit } from '../../../common/version.js';
import { CLIENT_API_VERSION } from '../../client/api-client.js';
import type { FieldSchema, StructSchema } from '../../gotypes.js';

// Through process.getBuiltinModule: an ESM import of node:fs builds a facade
// that loads fs/promises and readline (~7 ms of `berth version`, see docs/cli.md).
const { statSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/**
 * docker's reformatDate: an RFC 3339 time printed as time.ANSIC
 * ("Mon Jan _2 15:04:05 2006") in the time's own zone; anything else as given.
 */
export function reformatDate(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s] = m;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const day = new Date(utc);
  if (Number.isNaN(utc) || day.getUTCDate() !== Number(d)) return text;
  return `${DAYS[day.getUTCDay()]} ${MONTHS[day.getUTCMonth()]} ${String(Number(d)).padStart(2, ' ')} ${h}:${mi}:${s} ${y}`;
}

const PLATFORM_INFO_SCHEMA: StructSchema = { name: '*system.platformInfo', fields: [{ go: 'Name', type: 'string', omitempty: true }] };

/** docker's clientVersion fields (cli/command/system/version.go). */
export const CLIENT_VERSION_FIELDS: readonly FieldSchema[] = [
  { go: 'Platform', type: { struct: PLATFORM_INFO_SCHEMA, pointer: true }, omitempty: true },
  { go: 'Version', type: 'string', omitempty: true },
  { go: 'APIVersion', json: 'ApiVersion', type: 'string', omitempty: true },
  { go: 'DefaultAPIVersion', type: 'string', omitempty: true },
  { go: 'GitCommit', type: 'string', omitempty: true },
  { go: 'GoVersion', type: 'string', omitempty: true },
  { go: 'Os', type: 'string', omitempty: true },
  { go: 'Arch', type: 'string', omitempty: true },
  { go: 'BuildTime', type: 'string', omitempty: true },
  { go: 'Context', type: 'string' },
];

export const CLIENT_VERSION_SCHEMA: StructSchema = { name: 'system.clientVersion', fields: CLIENT_VERSION_FIELDS };

/** Go's GOARCH for Node's process.arch. */
export function goArch(arch: string = process.arch): string {
  switch (arch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    default:
      return arch;
  }
}

/** When this CLI was built: the compiled entry point's modification time, as docker prints its BuildTime. */
function buildTime(): string {
  try {
    const main = fileURLToPath(new URL('../../main.js', import.meta.url));
    return reformatDate(statSync(main).mtime.toISOString().replace(/\.\d+Z$/, 'Z'));
  } catch {
    return '';
  }
}

/** The clientVersion values (without the negotiated APIVersion). */
export async function clientVersionFields(contextName: string): Promise<Record<string, unknown>> {
  return {
    Version: berthVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    GitCommit: gitCommit,
    GoVersion: `node${process.versions.node}`,
    Os: process.platform,
    Arch: goArch(),
    BuildTime: buildTime(),
    Context: contextName,
  };
}
