// Authorization for registry requests, following the registry's
// WWW-Authenticate challenge as docker/distribution's client does
// (registry/client/auth/session.go):
//  - Bearer: a token from the realm, for the repository scopes
//    (`repository:<name>:pull` or `:push,pull`), fetched with Basic
//    credentials (GET), or with an identity token as an OAuth2 refresh_token
//    grant (POST form); cached per scope set until `expires_in` (at least 60 s).
//  - Basic: the username and password on every request.
//  - A registry token in the AuthConfig is sent as the bearer token as is.
// Errors are "bare" here (no request prefix); the caller adds `Get "<url>": `.
import { EngineError } from '../common/errors.js';
import { basicCredentials, type AuthConfig } from './auth-config.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { errorFromResponse, RegistryError, TransportError } from './errors.js';
import { readText, type HttpTransport, type TlsSettings } from './transport.js';

/** docker sends this client_id to token servers. */
export const AUTH_CLIENT_ID = 'docker';
const MINIMUM_TOKEN_LIFETIME_SECONDS = 60;
/** Refresh a little before expiry so a token does not lapse in flight. */
const EXPIRY_MARGIN_MS = 5_000;

export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** A problem getting authorization, worded without the request (the caller prefixes it). */
export class AuthorizationError extends Error {
  constructor(
    message: string,
    readonly registryError?: RegistryError,
    readonly transportError?: TransportError,
  ) {
    super(message);
    this.name = 'AuthorizationError';
  }
}

export interface AuthSessionOptions {
  /** Scopes every token of this session carries. */
  scopes: readonly string[];
  /** Ask for a refresh token (login does, to return it as IdentityToken). */
  offlineAccess?: boolean;
  /** Called when the token server hands out a new refresh token. */
  onRefreshToken?: (token: string) => void;
  /** Clock, for tests. */
  now?: () => number;
}

export class AuthSession {
  private readonly challenges = new Map<string, Challenge[]>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private refreshToken: string | undefined;
  private readonly now: () => number;
  /** How many tokens were fetched (for tests and debugging). */
  tokenFetches = 0;

  constructor(
    private readonly transport: HttpTransport,
    private readonly tls: TlsSettings | undefined,
    private readonly authConfig: AuthConfig,
    private readonly opts: AuthSessionOptions,
  ) {
    this.refreshToken = authConfig.identitytoken || undefined;
    this.now = opts.now ?? Date.now;
  }

  /** Record the challenges an origin answered with (from the /v2/ ping or a 401). */
  setChallenges(origin: string, challenges: Challenge[]): void {
    if (challenges.length > 0) this.challenges.set(origin, challenges);
  }

  /** Record the challenges of a response's WWW-Authenticate header. */
  setChallengesFromHeader(origin: string, value: string | string[] | undefined): void {
    this.setChallenges(origin, parseChallenges(value));
  }

  hasChallenges(origin: string): boolean {
    return (this.challenges.get(origin)?.length ?? 0) > 0;
  }

  /** The refresh token the token server gave (login's IdentityToken). */
  get identityToken(): string | undefined {
    return this.refreshToken;
  }

  /**
   * The Authorization header for a request to `url`, or undefined when its
   * origin has not challenged. Throws AuthorizationError.
   */
  async authorization(url: URL, extraScopes: readonly string[] = []): Promise<string | undefined> {
    const challenges = this.challenges.get(url.origin);
    if (!challenges) return undefined;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (this.authConfig.registrytoken) return bearer ? `Bearer ${this.authConfig.registrytoken}` : undefined;
    if (bearer) {
      const token = await this.token(bearer.parameters, extraScopes);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const { username, password } = basicCredentials(this.authConfig);
      if (username === '' || password === '') throw new AuthorizationError('no basic auth credentials');
      return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    }
    return undefined;
  }

  /** Forget the cached token for these scopes, so the next request fetches a fresh one. */
  invalidate(url: URL, extraScopes: readonly string[] = []): void {
    const bearer = this.challenges.get(url.origin)?.find((c) => c.scheme === 'bearer');
    if (bearer) this.tokens.delete(this.cacheKey(bearer.parameters, extraScopes));
  }

  private scopesFor(extra: readonly string[]): string[] {
    return [...new Set([...this.opts.scopes, ...extra])];
  }

  private cacheKey(params: Record<string, string>, extra: readonly string[]): string {
    return JSON.stringify([params.realm ?? '', params.service ?? '', this.scopesFor(extra).sort()]);
  }

  private async token(params: Record<string, string>, extra: readonly string[]): Promise<string> {
    const key = this.cacheKey(params, extra);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(params, this.scopesFor(extra)).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await pending;
    this.tokens.set(key, fresh);
    return fresh.token;
  }

  private async fetchToken(params: Record<string, string>, scopes: string[]): Promise<CachedToken> {
    const realmText = params.realm;
    if (!realmText) throw new AuthorizationError('no realm specified for token auth challenge');
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new AuthorizationError(`invalid token auth challenge realm: parse ${JSON.stringify(realmText)}: invalid URI for request`);
    }
    this.tokenFetches++;
    return this.refreshToken ? this.fetchTokenWithRefreshToken(realm, params.service, scopes) : this.fetchTokenWithBasicAuth(realm, params.service, scopes);
  }

  private async fetchTokenWithBasicAuth(realm: URL, service: string | undefined, scopes: string[]): Promise<CachedToken> {
    const url = new URL(realm.toString());
    if (service) url.searchParams.append('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (this.opts.offlineAccess) {
      url.searchParams.append('offline_token', 'true');
      url.searchParams.append('client_id', AUTH_CLIENT_ID);
    }
    const headers: Record<string, string> = {};
    const { username, password } = basicCredentials(this.authConfig);
    if (username !== '' && password !== '') {
      url.searchParams.append('account', username);
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    }
    const res = await this.request({ method: 'GET', url, headers });
    const body = await readText(res.res);
    if (res.res.status < 200 || res.res.status >= 300) {
      throw this.tokenError(res.res.status, body, res.res.headers['www-authenticate']);
    }
    const parsed = parseTokenBody(body);
    const token = parsed.access_token || parsed.token;
    if (!token) throw new AuthorizationError('authorization server did not include a token in the response');
    if (parsed.refresh_token) this.acceptRefreshToken(parsed.refresh_token);
    return { token, expiresAt: this.expiry(parsed.expires_in) };
  }

  private async fetchTokenWithRefreshToken(realm: URL, service: string | undefined, scopes: string[]): Promise<CachedToken> {
    const form = new URLSearchParams();
    form.set('scope', scopes.join(' '));
    form.set('service', service ?? '');
    form.set('client_id', AUTH_CLIENT_ID);
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', this.refreshToken!);
    const res = await this.request({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString(), 'utf8'),
    });
    const body = await readText(res.res);
    if (res.res.status < 200 || res.res.status >= 300) {
      throw this.tokenError(res.res.status, body, res.res.headers['www-authenticate']);
    }
    const parsed = parseTokenBody(body);
    if (!parsed.access_token) throw new AuthorizationError('authorization server did not include a token in the response');
    if (parsed.refresh_token && parsed.refresh_token !== this.refreshToken) this.acceptRefreshToken(parsed.refresh_token);
    return { token: parsed.access_token, expiresAt: this.expiry(parsed.expires_in) };
  }

  private acceptRefreshToken(token: string): void {
    this.refreshToken = token;
    this.opts.onRefreshToken?.(token);
  }

  private expiry(expiresIn: number | undefined): number {
    const seconds = Math.max(expiresIn ?? 0, MINIMUM_TOKEN_LIFETIME_SECONDS);
    return this.now() + seconds * 1000;
  }

  private async request(req: { method: string; url: URL; headers: Record<string, string>; body?: Buffer }) {
    try {
      return { res: await this.transport.sendFollowingRedirects(req, this.tls, async () => ({})) };
    } catch (err) {
      if (err instanceof TransportError) throw new AuthorizationError(err.message, undefined, err);
      throw err;
    }
  }

  private tokenError(status: number, body: string, wwwAuthenticate: string | string[] | undefined): AuthorizationError {
    const err = errorFromResponse(status, body, parseChallenges(wwwAuthenticate));
    return new AuthorizationError(err.message, err);
  }
}

interface TokenBody {
  token?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

function parseTokenBody(body: string): TokenBody {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new AuthorizationError(`unable to decode token response: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!doc || typeof doc !== 'object') throw new AuthorizationError('unable to decode token response: not a JSON object');
  const o = doc as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    token: str(o.token),
    access_token: str(o.access_token),
    refresh_token: str(o.refresh_token),
    expires_in: typeof o.expires_in === 'number' ? o.expires_in : undefined,
  };
}

/**
 * Wrap an AuthorizationError for the request that needed it, as Go's
 * http.Client wraps a RoundTripper error: `Get "<url>": <reason>`.
 * Registry errcodes (from the token server) stay inspectable.
 */
export function authorizationFailure(err: AuthorizationError, prefix: string): EngineError {
  const message = `${prefix}: ${err.message}`;
  if (err.registryError) {
    return new RegistryError(err.registryError.kind, message, {
      entries: err.registryError.entries,
      httpStatus: err.registryError.httpStatus,
      fromErrcodeList: err.registryError.fromErrcodeList,
      cause: err,
    });
  }
  return new EngineError('system', message, { cause: err });
}
