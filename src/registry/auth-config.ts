// docker's AuthConfig (api/types/registry/authconfig.go) and the
// X-Registry-Auth header that carries it from the CLI to the daemon:
// base64url (padded) of its JSON. dockerd ignores a header it cannot decode
// for pulls and pushes; the decoder here is as tolerant: URL-safe or
// standard alphabet, padded or not, and field names in any case (Go's
// encoding/json matches them case-insensitively).

export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64(username:password), as config.json stores it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** A refresh token from an earlier login, used instead of a password. */
  identitytoken?: string;
  /** A bearer token to send to the registry as is. */
  registrytoken?: string;
}

const fields = ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const;

/** The header name. */
export const REGISTRY_AUTH_HEADER = 'X-Registry-Auth';

/** JSON of an AuthConfig with Go's `omitempty` (field order as docker's struct). */
export function authConfigJson(config: AuthConfig): string {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = config[f];
    if (v !== undefined && v !== '') out[f] = v;
  }
  return JSON.stringify(out);
}

/** X-Registry-Auth value, as the docker CLI encodes it (base64url, padded). */
export function encodeAuthConfig(config: AuthConfig): string {
  return Buffer.from(authConfigJson(config), 'utf8')
    .toString('base64')
    .replaceAll('+', '-')
    .replaceAll('/', '_');
}

/** Lenient base64 decode: either alphabet, padding optional, whitespace ignored. */
export function decodeBase64Lenient(value: string): Buffer {
  const clean = value.replace(/\s+/g, '').replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) throw new Error('illegal base64 data');
  return Buffer.from(clean, 'base64');
}

/** An AuthConfig from untrusted JSON: known fields (any case), strings only. */
export function authConfigFromJson(value: unknown): AuthConfig {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('auth config is not a JSON object');
  const out: AuthConfig = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = fields.find((f) => f === key.toLowerCase());
    if (!field || v === null || v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field AuthConfig.${field} of type string`);
    out[field] = v;
  }
  return out;
}

export interface DecodedAuthConfig {
  config: AuthConfig;
  /** Why the header could not be decoded; the config is then empty, as dockerd's. */
  error?: string;
}

/**
 * Decode an X-Registry-Auth header. An empty or absent header is an empty
 * config. A bad one gives an empty config plus the error
 * (`invalid X-Registry-Auth header: ...`), which pull and push ignore and
 * other endpoints may report.
 */
export function decodeAuthConfig(header: string | undefined | null): DecodedAuthConfig {
  if (header === undefined || header === null || header.trim() === '') return { config: {} };
  try {
    const json = decodeBase64Lenient(header).toString('utf8');
    return { config: authConfigFromJson(JSON.parse(json)) };
  } catch (err) {
    return { config: {}, error: `invalid X-Registry-Auth header: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** base64(username:password), as config.json's `auth` field. */
export function encodeAuthField(username: string, password: string): string {
  if (username === '' && password === '') return '';
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** Split config.json's `auth` field; throws docker's message when it is not `user:password`. */
export function decodeAuthField(auth: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) throw new Error('invalid auth configuration file');
  // The CLI trims NULs a buggy old encoder left behind.
  return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1).replace(/^\0+|\0+$/g, '') };
}

/**
 * Username and password of a config: the explicit fields, or else the
 * `auth` field decoded (some clients send only that).
 */
export function basicCredentials(config: AuthConfig): { username: string; password: string } {
  const username = config.username ?? '';
  const password = config.password ?? '';
  if ((username === '' || password === '') && config.auth) {
    try {
      return decodeAuthField(config.auth);
    } catch {
      // fall through to the explicit fields
    }
  }
  return { username, password };
}
