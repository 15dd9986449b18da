// One repository on one registry: the Docker Registry HTTP API v2 / OCI
// distribution calls the pull and push orchestration needs
// (../shared/specs/oci-distribution/spec.md): manifests (GET/HEAD/PUT),
// blobs (GET with digest verification, HEAD, upload by POST then PUT or
// PATCH, cross-repository mount), and tags (paginated by Link).
//
// A Repository pings `/v2/` on the first call, trying the registry's
// endpoints in dockerd's order (mirrors, https, then http for insecure
// registries); transport failures move on to the next endpoint, and so does
// any failure of a mirror before the first successful call.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Readable, Transform, pipeline } from 'node:stream';
import { EngineError, systemError } from '../common/errors.js';
import { validateDigest, type NamedReference } from '../image/reference.js';
import type { AuthConfig } from './auth-config.js';
import { AuthorizationError, AuthSession, authorizationFailure, repositoryScope } from './auth.js';
import { parseChallenges } from './challenge.js';
import type { RegistryEndpoint } from './endpoints.js';
import { DigestMismatchError, RegistryError, TransportError, errorFromResponse, urlErrorPrefix } from './errors.js';
import { detectManifestMediaType, isManifestList, manifestAcceptTypes, parseManifestList, sha256Digest, type Descriptor } from './manifest.js';
import { selectManifest, type Platform } from './platform.js';
import { discard, header, readText, type HttpResponse, type HttpTransport } from './transport.js';

/** The largest manifest accepted (OCI asks registries to take at least 4 MiB). */
export const MAX_MANIFEST_SIZE = 8 << 20;

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the bytes (verified against the digest asked for, if any). */
  digest: string;
}

export interface ManifestInfo {
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

export type ProgressCallback = (bytesSoFar: number, total: number | undefined) => void;

export interface BlobStream {
  /** The blob's bytes; errors with a DigestMismatchError at the end if they do not hash to the digest. */
  stream: Readable;
  /** Content-Length, when the registry sent it. */
  size: number | undefined;
}

/** What another thread needs to GET a blob itself, as plain data (see Repository.remoteBlob). */
export interface RemoteBlobRequest {
  url: string;
  /** The registry's origin: `headers` (credentials) go there only, never to a host a redirect leads to. */
  origin: string;
  headers: Record<string, string>;
  /** Headers for any other origin. */
  otherHeaders: Record<string, string>;
  tls?: { insecureSkipVerify?: boolean; ca?: string[]; cert?: string; key?: string };
}

/** A blob to be downloaded elsewhere: the request, and how to judge what came back. */
export interface RemoteBlob {
  request: RemoteBlobRequest;
  /**
   * An answer that is not the blob (status, headers, body text, the URL
   * that answered): the request to try instead (a 401 with a new challenge,
   * once, as request() does), or the error dockerd reports, thrown.
   */
  onAnswer(answer: { status: number; headers: Record<string, string | string[] | undefined>; body: string; url: string }): Promise<RemoteBlobRequest>;
  /** A transfer that failed without an answer (refused, reset...), worded as Go's net/http words it. */
  transportError(url: string, cause: Error): Error;
}

/** dockerd's error for a blob whose bytes do not hash to its digest. */
export function blobDigestMismatch(digest: string, actual: string, purpose: OpenBlobOptions['purpose'] = 'layer'): DigestMismatchError {
  return new DigestMismatchError(verificationMessage(purpose, digest), digest, actual);
}

/** A blob's bytes straight from the response, for a caller that hashes them itself (see openBlobUnverified). */
export interface UnverifiedBlob {
  /** The bytes as they come; a broken transfer fails with a TransportError. */
  body: AsyncIterable<Uint8Array>;
  /** Content-Length, when the registry sent it. */
  size: number | undefined;
  /** Throws dockerd's DigestMismatchError unless `actual` (the bytes' digest, same algorithm) is the digest asked for. */
  check(actual: string): void;
}

export interface OpenBlobOptions {
  /** Expected size (from the descriptor), used for progress when the registry sends no length. */
  size?: number;
  onProgress?: ProgressCallback;
  /** What the blob is, for dockerd's verification message. Default 'layer'. */
  purpose?: 'layer' | 'config' | 'manifest';
  signal?: AbortSignal;
}

/**
 * Bytes to upload: a buffer, a function that opens them (called again if a
 * request must be retried), or a file (a content-store blob), which is read
 * into two buffers used in turn rather than a new buffer per chunk: a
 * layer's worth of fresh buffers kept the garbage collector marking the
 * daemon's heap for half of a push's CPU time.
 */
export type BlobSource = Buffer | Uint8Array | (() => Readable | Promise<Readable>) | { file: string };

export interface PushBlobOptions {
  /** Repositories (paths on this registry) that may already hold the blob, tried for a cross-repository mount. */
  mountFrom?: readonly string[];
  /**
   * How to send the bytes: 'stream' (dockerd: one PATCH with the whole
   * blob, then PUT), 'monolithic' (PUT with the body), or 'chunked' (PATCH
   * per chunk with Content-Range). Default 'stream'.
   */
  mode?: 'stream' | 'monolithic' | 'chunked';
  /** Chunk size for 'chunked' (raised to the registry's OCI-Chunk-Min-Length). Default 5 MiB. */
  chunkSize?: number;
  onProgress?: ProgressCallback;
  /** Do not HEAD the blob first. */
  skipExistsCheck?: boolean;
  signal?: AbortSignal;
}

export interface PushBlobResult {
  status: 'exists' | 'mounted' | 'uploaded';
  /** The repository it was mounted from. */
  from?: string;
}

export interface RepositoryOptions {
  authConfig?: AuthConfig;
  /** `pull` (default) asks tokens for pull; `push` for push,pull. */
  mode?: 'pull' | 'push';
  signal?: AbortSignal;
}

interface RequestSpec {
  method: string;
  /** An absolute URL (an upload Location), or a path under `/v2/<name>/` resolved on the endpoint in use. */
  url: URL | string;
  headers?: Record<string, string>;
  /** A buffer is resent as is on a retry; a function is called again. */
  body?: Buffer | (() => Promise<Readable | AsyncIterable<Uint8Array>>);
  extraScopes?: readonly string[];
  signal?: AbortSignal;
  headersTimeout?: number;
}

const PING_TIMEOUT_MS = 15_000;

function verificationMessage(purpose: OpenBlobOptions['purpose'], digest: string): string {
  switch (purpose) {
    case 'config':
      return `image config verification failed for digest ${digest}`;
    case 'manifest':
      return `manifest verification failed for digest ${digest}`;
    default:
      return `filesystem layer verification failed for digest ${digest}`;
  }
}

function digestAlgorithm(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

/** Append a query parameter to a Location without re-encoding what the registry put there. */
function withQuery(url: URL, name: string, value: string): URL {
  const s = url.toString();
  const hashAt = s.indexOf('#');
  const base = hashAt >= 0 ? s.slice(0, hashAt) : s;
  return new URL(`${base}${base.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`);
}

/** `0-1023` or `bytes=0-1023` → 1023; undefined when absent or malformed. */
function rangeEnd(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(value.trim());
  return m ? Number(m[2]) : undefined;
}

function toReadableFactory(source: BlobSource): () => Promise<Readable> {
  if (typeof source === 'function') return async () => source();
  if ('file' in source) return async () => createReadStream(source.file, { highWaterMark: FILE_CHUNK });
  const buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  return async () => Readable.from([buf]);
}

/** Read size for file uploads; far above a socket's write high-water mark (see fileChunks). */
const FILE_CHUNK = 1 << 20;

/**
 * A file's bytes for an upload body, read into two buffers used in turn.
 * Safe because undici writes an iterable body chunk by chunk and waits for
 * 'drain' whenever socket.write() returns false, which it does for every
 * chunk larger than the socket's high-water mark (16-64 KiB): when the next
 * chunk is asked for, the one before it is in the kernel, and the buffer
 * refilled then is the one before that.
 */
async function* fileChunks(file: string, onProgress: ProgressCallback | undefined, total: number | undefined): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafeSlow(FILE_CHUNK), Buffer.allocUnsafeSlow(FILE_CHUNK)];
    let position = 0;
    for (let turn = 0; ; turn ^= 1) {
      const buf = buffers[turn]!;
      let filled = 0;
      while (filled < buf.length) {
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) return;
      position += filled;
      onProgress?.(position, total);
      yield filled === buf.length ? buf : buf.subarray(0, filled);
      if (filled < buf.length) return;
    }
  } finally {
    await handle.close();
  }
}

/** An upload body: a file is read in place (fileChunks), anything else streamed with a byte count. */
function uploadBody(source: BlobSource, open: () => Promise<Readable>, total: number, onProgress: ProgressCallback | undefined): () => Promise<Readable | AsyncIterable<Uint8Array>> {
  if (typeof source === 'object' && 'file' in source) return async () => fileChunks(source.file, onProgress, total);
  return async () => (await open()).pipe(counting(0, total, onProgress));
}

/** Counts bytes through a stream, reporting progress. */
function counting(start: number, total: number | undefined, onProgress: ProgressCallback | undefined): Transform {
  let count = start;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      count += chunk.length;
      onProgress?.(count, total);
      cb(null, chunk);
    },
  });
}

export class Repository {
  /** The repository's name, without tag or digest. */
  readonly named: NamedReference;
  /** The path in API URLs (`library/busybox`). */
  readonly path: string;
  private endpointIndex = -1;
  private committed = false;
  private session: AuthSession | undefined;
  private connecting: Promise<RegistryEndpoint> | undefined;
  private readonly scopes: string[];

  constructor(
    named: NamedReference,
    private readonly endpoints: readonly RegistryEndpoint[],
    private readonly transport: HttpTransport,
    private readonly opts: RepositoryOptions = {},
  ) {
    this.named = named;
    this.path = named.path;
    this.scopes = [repositoryScope(this.path, opts.mode === 'push' ? ['push', 'pull'] : ['pull'])];
  }

  /** The endpoint in use (after the first call). */
  get endpoint(): RegistryEndpoint | undefined {
    return this.endpointIndex >= 0 ? this.endpoints[this.endpointIndex] : undefined;
  }

  /** Ping the endpoints in order and settle on the first that answers HTTP. */
  async connect(): Promise<RegistryEndpoint> {
    const current = this.endpoint;
    if (current) return current;
    // Parallel first calls share one ping.
    this.connecting ??= this.connectFrom(0).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectFrom(start: number): Promise<RegistryEndpoint> {
    let lastError: unknown;
    for (let i = start; i < this.endpoints.length; i++) {
      const ep = this.endpoints[i]!;
      const session = new AuthSession(this.transport, ep.tls, this.opts.authConfig ?? {}, { scopes: this.scopes });
      try {
        const url = new URL(`${ep.url.toString().replace(/\/+$/, '')}/v2/`);
        const res = await this.transport.send(
          { method: 'GET', url, signal: this.opts.signal, headersTimeout: PING_TIMEOUT_MS },
          ep.tls,
        );
        session.setChallengesFromHeader(url.origin, res.headers['www-authenticate']);
        await discard(res);
        this.endpointIndex = i;
        this.session = session;
        return ep;
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        lastError = err;
      }
    }
    throw lastError ?? systemError('no endpoint to try');
  }

  /**
   * Run the first operations of a session with dockerd's fallback: a mirror
   * that fails hands over to the next endpoint, until one call succeeds.
   */
  private async withFallback<T>(op: () => Promise<T>): Promise<T> {
    await this.connect();
    for (;;) {
      try {
        const out = await op();
        this.committed = true;
        return out;
      } catch (err) {
        const ep = this.endpoint!;
        if (this.committed || !ep.mirror || this.endpointIndex + 1 >= this.endpoints.length || this.opts.signal?.aborted) throw err;
        await this.connectFrom(this.endpointIndex + 1);
      }
    }
  }

  private apiUrl(suffix: string): URL {
    const base = this.endpoint!.url.toString().replace(/\/+$/, '');
    return new URL(`${base}/v2/${this.path}/${suffix}`);
  }

  /** Send with authorization and one retry on 401 with fresh credentials. */
  private async request(spec: RequestSpec): Promise<HttpResponse> {
    const ep = await this.connect();
    const session = this.session!;
    const origin = ep.url.origin;
    const target = typeof spec.url === 'string' ? this.apiUrl(spec.url) : spec.url;
    const prefix = () => urlErrorPrefix(spec.method, target.toString());
    const headersFor = async (url: URL): Promise<Record<string, string>> => {
      if (url.origin !== origin) return {};
      const value = await session.authorization(url, spec.extraScopes ?? []);
      return value ? { authorization: value } : {};
    };
    for (let attempt = 0; ; attempt++) {
      const body = typeof spec.body === 'function' ? await spec.body() : spec.body;
      let res: HttpResponse;
      try {
        res = await this.transport.sendFollowingRedirects(
          { method: spec.method, url: target, headers: spec.headers, body, signal: spec.signal ?? this.opts.signal, headersTimeout: spec.headersTimeout },
          ep.tls,
          headersFor,
        );
      } catch (err) {
        if (body instanceof Readable) body.destroy();
        else if (body !== undefined && !(body instanceof Uint8Array)) await body[Symbol.asyncIterator]().return?.();
        if (err instanceof AuthorizationError) throw authorizationFailure(err, prefix());
        throw err;
      }
      if (res.status === 401 && attempt === 0 && res.url.origin === origin) {
        // A token may have expired or lack a scope: take the new challenge, forget the token, retry once.
        const challenges = parseChallenges(res.headers['www-authenticate']);
        if (challenges.length > 0) {
          session.setChallenges(origin, challenges);
          session.invalidate(target, spec.extraScopes ?? []);
          if (!this.opts.authConfig?.registrytoken) {
            await discard(res);
            continue;
          }
        }
      }
      return res;
    }
  }

  private async failure(res: HttpResponse): Promise<RegistryError> {
    const body = res.body ? await readText(res, 1 << 20).catch(() => '') : '';
    return errorFromResponse(res.status, body, parseChallenges(res.headers['www-authenticate']));
  }

  // --- manifests ---------------------------------------------------------------

  /** GET a manifest by tag or digest. By digest, the bytes must hash to it. */
  async getManifest(reference: string, opts: { accept?: readonly string[]; signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    return this.withFallback(async () => {
      const byDigest = reference.includes(':');
      if (byDigest) validateDigest(reference);
      const res = await this.request({
        method: 'GET',
        url: `manifests/${reference}`,
        headers: { accept: (opts.accept ?? manifestAcceptTypes).join(', ') },
        signal: opts.signal,
      });
      if (res.status !== 200) throw await this.failure(res);
      const length = Number(header(res, 'content-length') ?? '0');
      if (length > MAX_MANIFEST_SIZE) {
        res.body.destroy();
        throw systemError(`manifest too big: ${length} bytes`);
      }
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (bytes.length > MAX_MANIFEST_SIZE) throw systemError(`manifest too big: ${bytes.length} bytes`);
      const mediaType = detectManifestMediaType(header(res, 'content-type'), bytes);
      const expected = byDigest ? reference : header(res, 'docker-content-digest');
      let digest = sha256Digest(bytes);
      if (expected && expected.includes(':')) {
        const algorithm = digestAlgorithm(expected);
        if (algorithm === 'sha256' || algorithm === 'sha384' || algorithm === 'sha512') {
          const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
          if (actual !== expected) throw new DigestMismatchError(`manifest verification failed for digest ${expected}`, expected, actual);
          digest = expected;
        }
      }
      return { bytes, mediaType, digest };
    });
  }

  /** HEAD a manifest: undefined when the registry does not have it. */
  async headManifest(reference: string, opts: { accept?: readonly string[]; signal?: AbortSignal } = {}): Promise<ManifestInfo | undefined> {
    return this.withFallback(async () => {
      const res = await this.request({
        method: 'HEAD',
        url: `manifests/${reference}`,
        headers: { accept: (opts.accept ?? manifestAcceptTypes).join(', ') },
        signal: opts.signal,
      });
      await discard(res);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw errorFromResponse(res.status, '', parseChallenges(res.headers['www-authenticate']));
      const size = header(res, 'content-length');
      return {
        digest: header(res, 'docker-content-digest'),
        mediaType: header(res, 'content-type')?.split(';')[0]?.trim(),
        size: size !== undefined ? Number(size) : undefined,
      };
    });
  }

  /**
   * Resolve a tag or digest to the image manifest for a platform: a manifest
   * list or index is narrowed to the best entry (dockerd's choice), which is
   * then fetched by digest.
   */
  async getManifestForPlatform(
    reference: string,
    platform?: Platform,
    opts: { signal?: AbortSignal } = {},
  ): Promise<{ manifest: FetchedManifest; list?: FetchedManifest; descriptor?: Descriptor }> {
    const top = await this.getManifest(reference, opts);
    if (!isManifestList(top.mediaType)) return { manifest: top };
    const list = parseManifestList(top.bytes);
    const descriptor = selectManifest(list.manifests, platform);
    const manifest = await this.getManifest(descriptor.digest, opts);
    return { manifest, list: top, descriptor };
  }

  /** PUT a manifest under a tag or digest; returns its digest. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const res = await this.request({
      method: 'PUT',
      url: `manifests/${reference}`,
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes,
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await this.failure(res);
    await discard(res);
    return sha256Digest(bytes);
  }

  // --- blobs -------------------------------------------------------------------------

  /** HEAD a blob: its size, or undefined when the registry does not have it. */
  async statBlob(digest: string, opts: { signal?: AbortSignal } = {}): Promise<{ size: number | undefined } | undefined> {
    const res = await this.request({ method: 'HEAD', url: `blobs/${digest}`, signal: opts.signal });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, '', parseChallenges(res.headers['www-authenticate']));
    const size = header(res, 'content-length');
    return { size: size !== undefined ? Number(size) : undefined };
  }

  /** GET a blob: the response of a 200 or 206; a 404 is docker's 'unknown blob', other statuses the registry's error. */
  private async getBlob(digest: string, signal: AbortSignal | undefined): Promise<HttpResponse> {
    validateDigest(digest);
    const res = await this.request({ method: 'GET', url: `blobs/${digest}`, signal });
    if (res.status === 404) {
      await discard(res);
      throw new RegistryError('not-found', 'unknown blob', { httpStatus: 404 });
    }
    if (res.status !== 200 && res.status !== 206) throw await this.failure(res);
    return res;
  }

  /** GET a blob as a stream whose bytes are checked against the digest as they flow. */
  async openBlob(digest: string, opts: OpenBlobOptions = {}): Promise<BlobStream> {
    const res = await this.getBlob(digest, opts.signal);
    const lengthHeader = header(res, 'content-length');
    const size = lengthHeader !== undefined ? Number(lengthHeader) : undefined;
    const total = size ?? opts.size;
    const algorithm = digestAlgorithm(digest);
    const hash = createHash(algorithm);
    let count = 0;
    const verifier = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        count += chunk.length;
        opts.onProgress?.(count, total);
        cb(null, chunk);
      },
      flush(cb) {
        const actual = `${algorithm}:${hash.digest('hex')}`;
        if (actual !== digest) cb(new DigestMismatchError(verificationMessage(opts.purpose, digest), digest, actual));
        else cb();
      },
    });
    const url = res.url;
    const out = new PassThrough();
    pipeline(res.body, verifier, out, (err) => {
      if (err && !out.destroyed) {
        const shown = err instanceof DigestMismatchError || err instanceof EngineError ? err : new TransportError('GET', url, err);
        out.destroy(shown);
      }
    });
    return { stream: out, size };
  }

  /**
   * GET a blob whose bytes the caller hashes as it uses them (a pull hashes
   * each layer once, where it unpacks it): nothing here checks them, the
   * caller must call check() with their digest before trusting them.
   */
  async openBlobUnverified(digest: string, opts: Omit<OpenBlobOptions, 'onProgress'> = {}): Promise<UnverifiedBlob> {
    const res = await this.getBlob(digest, opts.signal);
    const lengthHeader = header(res, 'content-length');
    const url = res.url;
    const stream = res.body;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of stream) yield chunk as Uint8Array;
      } catch (err) {
        throw err instanceof EngineError ? err : new TransportError('GET', url, err);
      } finally {
        // Stopped early (the unpack failed): close the connection's stream.
        if (!stream.readableEnded) stream.destroy();
      }
    }
    return {
      body: body(),
      size: lengthHeader !== undefined ? Number(lengthHeader) : undefined,
      check: (actual) => {
        if (actual !== digest) throw blobDigestMismatch(digest, actual, opts.purpose);
      },
    };
  }

  /**
   * A blob GET for another thread to make (an unpack worker downloads a
   * layer itself, so that its bytes never pass through the main thread): the
   * endpoint is settled and the credentials for the registry's origin taken
   * from this session now. Nothing checks the bytes: hash them.
   */
  async remoteBlob(digest: string): Promise<RemoteBlob> {
    validateDigest(digest);
    const ep = await this.connect();
    const session = this.session!;
    const url = this.apiUrl(`blobs/${digest}`);
    const origin = ep.url.origin;
    const common = { 'user-agent': this.transport.userAgent };
    const tls = ep.tls
      ? {
          ...(ep.tls.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
          ...(ep.tls.ca?.length ? { ca: [...ep.tls.ca] } : {}),
          ...(ep.tls.cert && ep.tls.key ? { cert: ep.tls.cert, key: ep.tls.key } : {}),
        }
      : undefined;
    const make = async (): Promise<RemoteBlobRequest> => {
      let authorization: string | undefined;
      try {
        authorization = await session.authorization(url);
      } catch (err) {
        if (err instanceof AuthorizationError) throw authorizationFailure(err, urlErrorPrefix('GET', url.toString()));
        throw err;
      }
      return { url: url.toString(), origin, headers: { ...common, ...(authorization ? { authorization } : {}) }, otherHeaders: common, ...(tls ? { tls } : {}) };
    };
    let retried = false;
    return {
      request: await make(),
      onAnswer: async (answer) => {
        const challenges = parseChallenges(answer.headers['www-authenticate']);
        if (answer.status === 401 && !retried && new URL(answer.url).origin === origin && challenges.length > 0) {
          // A token may have expired or lack a scope: take the new challenge, forget the token, once more.
          session.setChallenges(origin, challenges);
          session.invalidate(url);
          if (!this.opts.authConfig?.registrytoken) {
            retried = true;
            return make();
          }
        }
        if (answer.status === 404) throw new RegistryError('not-found', 'unknown blob', { httpStatus: 404 });
        throw errorFromResponse(answer.status, answer.body, challenges);
      },
      transportError: (failed, cause) => new TransportError('GET', new URL(failed), cause),
    };
  }

  /** A whole (small) blob in memory, verified: an image config, for instance. */
  async fetchBlob(digest: string, opts: OpenBlobOptions = {}): Promise<Buffer> {
    const { stream } = await this.openBlob(digest, { purpose: 'config', ...opts });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Upload a blob unless the registry has it: HEAD first, then a
   * cross-repository mount from each `mountFrom` candidate (a 202 answer
   * starts a normal upload), then POST + PUT/PATCH.
   */
  async pushBlob(desc: { digest: string; size: number }, source: BlobSource, opts: PushBlobOptions = {}): Promise<PushBlobResult> {
    validateDigest(desc.digest);
    const signal = opts.signal;
    if (!opts.skipExistsCheck) {
      const have = await this.statBlob(desc.digest, { signal });
      if (have) {
        opts.onProgress?.(desc.size, desc.size);
        return { status: 'exists' };
      }
    }
    let location: URL | undefined;
    let minChunk = 0;
    for (const from of opts.mountFrom ?? []) {
      if (from === this.path) continue;
      await this.connect();
      const url = this.apiUrl('blobs/uploads/');
      url.searchParams.set('mount', desc.digest);
      url.searchParams.set('from', from);
      const res = await this.request({
        method: 'POST',
        url,
        headers: { 'content-length': '0' },
        extraScopes: [repositoryScope(from, ['pull'])],
        signal,
      });
      if (res.status === 201) {
        await discard(res);
        opts.onProgress?.(desc.size, desc.size);
        return { status: 'mounted', from };
      }
      if (res.status === 202) {
        location = this.location(res);
        minChunk = Number(header(res, 'oci-chunk-min-length') ?? '0') || 0;
        await discard(res);
        break;
      }
      // A refused mount is not fatal: upload instead.
      await discard(res);
    }
    if (!location) {
      const res = await this.request({ method: 'POST', url: 'blobs/uploads/', headers: { 'content-length': '0' }, signal });
      if (res.status !== 202 && res.status !== 201) throw await this.failure(res);
      location = this.location(res);
      minChunk = Number(header(res, 'oci-chunk-min-length') ?? '0') || 0;
      await discard(res);
    }
    const open = toReadableFactory(source);
    const body = uploadBody(source, open, desc.size, opts.onProgress);
    try {
      switch (opts.mode ?? 'stream') {
        case 'monolithic':
          await this.putUpload(location, desc, { body, signal });
          break;
        case 'stream': {
          const res = await this.request({
            method: 'PATCH',
            url: location,
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
            body,
            signal,
          });
          if (res.status !== 202 && res.status !== 204) throw await this.failure(res);
          location = this.location(res, location);
          await discard(res);
          await this.putUpload(location, desc, { signal });
          break;
        }
        case 'chunked':
          await this.chunkedUpload(location, desc, open, Math.max(opts.chunkSize ?? 5 << 20, minChunk), opts.onProgress, signal);
          break;
      }
    } catch (err) {
      // Release the registry's upload session; failures to do so do not matter.
      await this.request({ method: 'DELETE', url: location, signal })
        .then((res) => discard(res))
        .catch(() => undefined);
      throw err;
    }
    return { status: 'uploaded' };
  }

  private location(res: HttpResponse, fallback?: URL): URL {
    const value = header(res, 'location');
    if (!value) {
      if (fallback) return fallback;
      throw systemError(`${urlErrorPrefix('POST', res.url.toString())}: registry sent no upload Location`);
    }
    return new URL(value, res.url);
  }

  private async putUpload(
    location: URL,
    desc: { digest: string; size: number },
    opts: { body?: () => Promise<Readable | AsyncIterable<Uint8Array>>; signal?: AbortSignal },
  ): Promise<void> {
    const url = withQuery(location, 'digest', desc.digest);
    const body = opts.body;
    const res = await this.request({
      method: 'PUT',
      url,
      headers: body
        ? { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) }
        : { 'content-length': '0' },
      body,
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await this.failure(res);
    await discard(res);
  }

  /**
   * PATCH in chunks with Content-Range; the registry's Range answer says how
   * much it holds, and the client resumes from there (re-sending part of a
   * chunk if the registry kept less). A 416 asks the upload's status first.
   */
  private async chunkedUpload(
    start: URL,
    desc: { digest: string; size: number },
    open: () => Promise<Readable>,
    chunkSize: number,
    onProgress: ProgressCallback | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let location = start;
    let offset = 0; // bytes the registry holds
    const source = await open();
    const reader = chunksOf(source, chunkSize);
    try {
      for await (const chunk of reader) {
        const chunkStart = offset;
        let sent = 0; // of this chunk, acknowledged
        let tries = 0;
        while (sent < chunk.length) {
          if (++tries > 5) throw systemError(`${urlErrorPrefix('PATCH', location.toString())}: registry keeps rejecting the chunk at ${offset}`);
          const part = chunk.subarray(sent);
          const from = chunkStart + sent;
          const res = await this.request({
            method: 'PATCH',
            url: location,
            headers: {
              'content-type': 'application/octet-stream',
              'content-range': `${from}-${from + part.length - 1}`,
              'content-length': String(part.length),
            },
            body: part,
            signal,
          });
          if (res.status === 416) {
            await discard(res);
            const status = await this.request({ method: 'GET', url: location, signal });
            if (status.status !== 204 && status.status !== 200) throw await this.failure(status);
            location = this.location(status, location);
            const end = rangeEnd(header(status, 'range'));
            await discard(status);
            const held = end === undefined ? 0 : end + 1;
            if (held < chunkStart || held > chunkStart + chunk.length) {
              throw systemError(`${urlErrorPrefix('PATCH', location.toString())}: registry holds ${held} bytes, cannot resume`);
            }
            sent = held - chunkStart;
            continue;
          }
          if (res.status !== 202 && res.status !== 204) throw await this.failure(res);
          location = this.location(res, location);
          const end = rangeEnd(header(res, 'range'));
          await discard(res);
          const held = end === undefined ? from + part.length : end + 1;
          if (held < from || held > chunkStart + chunk.length) {
            throw systemError(`${urlErrorPrefix('PATCH', location.toString())}: registry reports range 0-${held - 1} after ${from + part.length} bytes`);
          }
          sent = held - chunkStart;
          offset = held;
          onProgress?.(offset, desc.size);
        }
      }
    } finally {
      source.destroy();
    }
    await this.putUpload(location, desc, { signal });
  }

  // --- tags -----------------------------------------------------------------------------

  /** All tags, following the registry's `Link: <...>; rel="next"` pages. */
  async listTags(opts: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    return this.withFallback(async () => {
      const tags: string[] = [];
      await this.connect();
      let url: URL | undefined = this.apiUrl('tags/list');
      if (opts.pageSize) url.searchParams.set('n', String(opts.pageSize));
      for (let page = 0; url && page < 10_000; page++) {
        const res = await this.request({ method: 'GET', url, signal: opts.signal });
        if (res.status !== 200) throw await this.failure(res);
        const body = await readText(res, 64 << 20);
        let doc: unknown;
        try {
          doc = JSON.parse(body);
        } catch (err) {
          throw systemError(`${urlErrorPrefix('GET', url.toString())}: ${err instanceof Error ? err.message : String(err)}`);
        }
        const pageTags = (doc as { tags?: unknown } | null)?.tags;
        if (Array.isArray(pageTags)) for (const t of pageTags) if (typeof t === 'string') tags.push(t);
        url = nextLink(header(res, 'link'), url);
      }
      return tags;
    });
  }
}

/** The `rel="next"` target of a Link header, resolved against the request. */
export function nextLink(value: string | undefined, base: URL): URL | undefined {
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!m) continue;
    if (/(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(m[2]!)) return new URL(m[1]!, base);
  }
  return undefined;
}

/** Re-chunk a stream into buffers of `size` bytes (the last may be shorter). */
async function* chunksOf(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const piece of source) {
    let buf = piece as Buffer;
    while (buf.length > 0) {
      const take = Math.min(size - pendingLength, buf.length);
      pending.push(buf.subarray(0, take));
      pendingLength += take;
      buf = buf.subarray(take);
      if (pendingLength === size) {
        yield Buffer.concat(pending);
        pending = [];
        pendingLength = 0;
      }
    }
  }
  if (pendingLength > 0) yield Buffer.concat(pending);
}


