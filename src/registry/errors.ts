// Registry errors, worded as dockerd words them. The registry's JSON error
// body (../shared/specs/oci-distribution/spec.md "Error Codes") is read the
// way docker/distribution's client does (registry/client/errors.go
// HandleErrorResponse, registry/api/errcode), and transport failures are
// rendered as Go's net/http renders them (`Get "https://h/v2/": dial tcp
// 127.0.0.1:5000: connect: connection refused`), because users and their
// scripts know those strings.
import { EngineError, type ErrorKind, errorMessage, isEngineError } from '../common/errors.js';
import { familiarName, familiarString, type NamedReference } from '../image/reference.js';
import type { Challenge } from './challenge.js';

/** errcode descriptors registered by distribution (errcode/register.go, api/v2/errors.go). */
export const errorCodeDescriptors: Readonly<Record<string, { message: string; status: number }>> = {
  UNKNOWN: { message: 'unknown error', status: 500 },
  UNSUPPORTED: { message: 'The operation is unsupported.', status: 405 },
  UNAUTHORIZED: { message: 'authentication required', status: 401 },
  DENIED: { message: 'requested access to the resource is denied', status: 403 },
  UNAVAILABLE: { message: 'service unavailable', status: 503 },
  TOOMANYREQUESTS: { message: 'too many requests', status: 429 },
  DIGEST_INVALID: { message: 'provided digest did not match uploaded content', status: 400 },
  SIZE_INVALID: { message: 'provided length did not match content length', status: 400 },
  NAME_INVALID: { message: 'invalid repository name', status: 400 },
  TAG_INVALID: { message: 'manifest tag did not match URI', status: 400 },
  NAME_UNKNOWN: { message: 'repository name not known to registry', status: 404 },
  MANIFEST_UNKNOWN: { message: 'manifest unknown', status: 404 },
  MANIFEST_INVALID: { message: 'manifest invalid', status: 400 },
  MANIFEST_UNVERIFIED: { message: 'manifest failed signature verification', status: 400 },
  MANIFEST_BLOB_UNKNOWN: { message: 'blob unknown to registry', status: 400 },
  BLOB_UNKNOWN: { message: 'blob unknown to registry', status: 404 },
  BLOB_UPLOAD_UNKNOWN: { message: 'blob upload unknown to registry', status: 404 },
  BLOB_UPLOAD_INVALID: { message: 'blob upload invalid', status: 404 },
  PAGINATION_NUMBER_INVALID: { message: 'invalid number of results requested', status: 400 },
  RANGE_INVALID: { message: 'invalid content range', status: 416 },
};

/** One error of a registry's `{"errors": [...]}` body, normalised as errcode does. */
export interface RegistryErrorEntry {
  /** Registered code; unregistered codes become UNKNOWN, as in errcode.ParseErrorCode. */
  code: string;
  message: string;
  detail?: unknown;
  /**
   * errcode keeps an entry without detail whose message is empty or the
   * default as a bare ErrorCode: it prints without the message and pull's
   * error translation does not recognise it.
   */
  bare: boolean;
  /** Set for an entry that is not an errcode (a body distribution could not parse): printed as is. */
  opaque?: string;
}

function codeText(code: string): string {
  return code.toLowerCase().replaceAll('_', ' ');
}

export function entryText(e: RegistryErrorEntry): string {
  if (e.opaque !== undefined) return e.opaque;
  return e.bare ? codeText(e.code) : `${codeText(e.code)}: ${e.message}`;
}

function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
    case 416:
      return 'invalid-parameter';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'not-implemented';
    case 503:
      return 'unavailable';
    default:
      return 'system';
  }
}

/**
 * An error the registry answered with. `entries` holds the parsed errcodes;
 * empty when the body was not an errcode body. The kind follows the first
 * errcode's HTTP status as dockerd's statusCodeFromDistributionError does;
 * pull callers should pass errors through translatePullError.
 */
export class RegistryError extends EngineError {
  readonly entries: RegistryErrorEntry[];
  readonly httpStatus: number | undefined;
  /**
   * True when Go would hold these as an errcode.Errors list (a body's
   * `errors` array) rather than a single errcode.Error: dockerd's login
   * recognises only the latter as "unauthorized".
   */
  readonly fromErrcodeList: boolean;
  constructor(
    kind: ErrorKind,
    message: string,
    opts: { entries?: RegistryErrorEntry[]; httpStatus?: number; fromErrcodeList?: boolean; cause?: unknown } = {},
  ) {
    super(kind, message, { cause: opts.cause });
    this.name = 'RegistryError';
    this.entries = opts.entries ?? [];
    this.httpStatus = opts.httpStatus;
    this.fromErrcodeList = opts.fromErrcodeList ?? false;
  }
  /** The first errcode's code, if the registry sent one. */
  get code(): string | undefined {
    return this.entries[0]?.code;
  }
}

/** Build the error for a set of errcode entries (errcode.Errors.Error()). */
export function errorFromEntries(entries: RegistryErrorEntry[], httpStatus?: number, fromErrcodeList = true): RegistryError {
  const message =
    entries.length === 1 ? entryText(entries[0]!) : `errors:\n${entries.map((e) => entryText(e) + '\n').join('')}`;
  const first = entries[0];
  const status = first ? (errorCodeDescriptors[first.code]?.status ?? 500) : 500;
  return new RegistryError(kindForStatus(status), message, { entries, httpStatus, fromErrcodeList });
}

function entry(code: string, message: string, detail?: unknown): RegistryErrorEntry {
  const known = errorCodeDescriptors[code] ? code : 'UNKNOWN';
  const defaultMessage = errorCodeDescriptors[known]!.message;
  const bare = detail === undefined && (message === '' || message === defaultMessage);
  return { code: known, message: message === '' ? defaultMessage : message, detail, bare };
}

/** Go's encoding/json messages for the two cases a registry's body usually hits. */
function goJsonError(body: string): string {
  const trimmed = body.trimStart();
  if (trimmed === '') return 'unexpected end of JSON input';
  return `invalid character '${trimmed[0]}' looking for beginning of value`;
}

function statusText(status: number): string {
  return httpStatusText[status] ?? '';
}

/** Go's http.StatusText for the statuses a registry returns. */
export const httpStatusText: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 411: 'Length Required', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** `500 Internal Server Error`, as Go's resp.Status. */
export function goStatus(status: number): string {
  const text = statusText(status);
  return text ? `${status} ${text}` : `${status} status code ${status}`;
}

/**
 * distribution's parseHTTPErrorResponse: an errcode body, the legacy
 * `{"details": "..."}` form, or an "error parsing HTTP ... response body" error.
 */
function parseErrorBody(status: number, body: string): RegistryError | RegistryErrorEntry[] | RegistryErrorEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return unexpectedResponse(status, body, goJsonError(body));
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const obj = parsed as Record<string, unknown>;
    if (typeof obj.details === 'string' && obj.details !== '') {
      const code = status === 401 ? 'UNAUTHORIZED' : status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN';
      return { ...entry(code, obj.details), bare: false };
    }
    if (Array.isArray(obj.errors) && obj.errors.length > 0) {
      const entries: RegistryErrorEntry[] = [];
      for (const raw of obj.errors) {
        const e = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
        const detail = e.detail === null ? undefined : e.detail;
        entries.push(entry(typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : '', detail));
      }
      return entries;
    }
  }
  return unexpectedResponse(status, body, 'no error details found in HTTP response body');
}

function unexpectedResponse(status: number, body: string, parseError: string): RegistryError {
  return new RegistryError('system', `error parsing HTTP ${status} response body: ${parseError}: ${JSON.stringify(body)}`, {
    httpStatus: status,
  });
}

/**
 * HandleErrorResponse: turn a registry's non-success answer into an error.
 * Bearer challenges with `error=invalid_token` / `insufficient_scope` come
 * first (RFC 6750), then the body's errors; a 401 whose body is not an
 * errcode body is "unauthorized: authentication required".
 */
export function errorFromResponse(status: number, body: string, challenges: Challenge[] = []): RegistryError {
  if (status >= 400 && status < 500) {
    for (const c of challenges) {
      if (c.scheme !== 'bearer') continue;
      const code = c.parameters.error === 'invalid_token' ? 'UNAUTHORIZED' : c.parameters.error === 'insufficient_scope' ? 'DENIED' : undefined;
      if (!code) continue;
      const description = c.parameters.error_description ?? '';
      const fromChallenge: RegistryErrorEntry = {
        code,
        message: description !== '' ? description : errorCodeDescriptors[code]!.message,
        bare: false,
      };
      const fromBody = parseErrorBody(status, body);
      if (Array.isArray(fromBody)) return errorFromEntries([fromChallenge, ...fromBody], status);
      if (!(fromBody instanceof RegistryError)) return errorFromEntries([fromChallenge, fromBody], status);
      // distribution merges the parse error as a second, non-errcode entry.
      return errorFromEntries([fromChallenge, { code: 'UNKNOWN', message: fromBody.message, bare: false, opaque: fromBody.message }], status);
    }
    const parsed = parseErrorBody(status, body);
    if (Array.isArray(parsed)) return errorFromEntries(parsed, status);
    if (!(parsed instanceof RegistryError)) return errorFromEntries([parsed], status, false);
    if (status === 401) {
      return errorFromEntries([{ code: 'UNAUTHORIZED', message: 'authentication required', detail: body, bare: false }], status, false);
    }
    return parsed;
  }
  return new RegistryError('system', `received unexpected HTTP status: ${goStatus(status)}`, { httpStatus: status });
}

// --- transport errors ----------------------------------------------------------

/** Go's url.Error prefix: `Get "https://host/v2/"`. */
export function urlErrorPrefix(method: string, url: string): string {
  const op = method.slice(0, 1).toUpperCase() + method.slice(1).toLowerCase();
  return `${op} ${JSON.stringify(url)}`;
}

function hostPort(address: string | undefined, port: number | undefined): string {
  if (!address) return '';
  const host = address.includes(':') ? `[${address}]` : address;
  return port !== undefined ? `${host}:${port}` : host;
}

interface NodeNetError {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
  cause?: unknown;
}

function netError(err: unknown): NodeNetError {
  // undici wraps socket errors; the errno-bearing one is the cause.
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const o = e as NodeNetError;
    if (typeof o.code === 'string' && (o.code.startsWith('E') || o.code.startsWith('ERR_') || o.code.includes('CERT') || o.code.includes('SELF_SIGNED'))) {
      if (!o.code.startsWith('ERR_INVALID')) return o;
    }
    e = o.cause;
  }
  return (err && typeof err === 'object' ? err : { message: String(err) }) as NodeNetError;
}

/** Describe a failed connection as Go's net and crypto/tls packages do. */
export function describeTransportError(err: unknown, url: URL): string {
  const e = netError(err);
  const code = e.code ?? '';
  const dial = (what: string) => `dial tcp ${hostPort(e.address, e.port) || url.host}: ${what}`;
  switch (code) {
    case 'ECONNREFUSED':
      return dial('connect: connection refused');
    case 'EHOSTUNREACH':
      return dial('connect: no route to host');
    case 'ENETUNREACH':
      return dial('connect: network is unreachable');
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return dial('i/o timeout');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `dial tcp: lookup ${e.hostname ?? url.hostname}: no such host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'EPIPE':
      return 'write: broken pipe';
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'EOF';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'net/http: timeout awaiting response headers';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'net/http: request canceled (Client.Timeout or context cancellation while reading body)';
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_HTTP_REQUEST':
    case 'EPROTO':
      return 'http: server gave HTTP response to HTTPS client';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${url.hostname}`;
    case 'ABORT_ERR':
    case 'UND_ERR_ABORTED':
      return 'context canceled';
    default:
      return e.message ?? errorMessage(err);
  }
}

/** A request that never got an HTTP answer, as `Get "<url>": <reason>`. */
export class TransportError extends EngineError {
  readonly url: string;
  readonly method: string;
  constructor(method: string, url: URL, cause: unknown) {
    super('system', `${urlErrorPrefix(method, url.toString())}: ${describeTransportError(cause, url)}`, { cause });
    this.name = 'TransportError';
    this.url = url.toString();
    this.method = method;
  }
}

/** A blob or manifest whose bytes do not hash to the digest asked for. */
export class DigestMismatchError extends EngineError {
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('system', message);
    this.name = 'DigestMismatchError';
  }
}

// --- dockerd's translations ---------------------------------------------------------

/**
 * dockerd's translatePullError (distribution/errors.go): a registry's
 * DENIED, MANIFEST_UNKNOWN and NAME_UNKNOWN become not-found (HTTP 404)
 * with docker's sentence; everything else is an unknown error (HTTP 500),
 * message unchanged. Note that an unauthorized pull is NOT a 401: the docker
 * CLI would take a 401 as a cue to prompt for a login.
 */
export function translatePullError(err: unknown, ref: NamedReference): EngineError {
  if (err instanceof RegistryError) {
    const first = err.entries[0];
    if (first && !first.bare) {
      const text = entryText(first);
      switch (first.code) {
        case 'DENIED':
          return new EngineError(
            'not-found',
            `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${text}`,
            { cause: err },
          );
        case 'MANIFEST_UNKNOWN':
          return new EngineError('not-found', `manifest for ${familiarString(ref)} not found: ${text}`, { cause: err });
        case 'NAME_UNKNOWN':
          return new EngineError('not-found', `repository ${familiarName(ref)} not found: ${text}`, { cause: err });
      }
    }
    if (err.entries.length > 1) {
      // dockerd keeps the first error only.
      return new EngineError('system', entryText(err.entries[0]!), { cause: err });
    }
  }
  if (isEngineError(err) && err.kind === 'system') return err;
  // A cancelled pull stays a cancellation.
  if (err instanceof Error && err.name === 'AbortError') return new EngineError('system', 'context canceled', { cause: err });
  return new EngineError('system', errorMessage(err), { cause: err });
}
