// The registry service the daemon holds: endpoint rules from its config,
// repositories for pulls and pushes, and `POST /auth` (login) as dockerd
// does it (registry/service.go Auth, registry/auth.go loginV2).
import { EngineError, invalidParameter, systemError } from '../common/errors.js';
import { berthVersion } from '../common/version.js';
import { DEFAULT_DOMAIN, NamedReference, trimNamed } from '../image/reference.js';
import type { AuthConfig } from './auth-config.js';
import { AuthorizationError, AuthSession } from './auth.js';
import { RegistryEndpoints, INDEX_HOSTNAME, normalizeIndexName, type RegistryEndpoint, type RegistryServiceConfig } from './endpoints.js';
import { goStatus, RegistryError } from './errors.js';
import { Repository, type RepositoryOptions } from './repository.js';
import { discard, HttpTransport } from './transport.js';

export interface LoginResult {
  Status: string;
  IdentityToken?: string;
}

export interface RegistryServiceOptions extends RegistryServiceConfig {
  /** User-Agent for registry requests. */
  userAgent?: string;
}

export class RegistryService {
  readonly endpoints: RegistryEndpoints;
  readonly transport: HttpTransport;

  constructor(options: RegistryServiceOptions = {}) {
    this.endpoints = new RegistryEndpoints(options);
    this.transport = new HttpTransport({ userAgent: options.userAgent ?? `berth/${berthVersion}` });
  }

  /**
   * A client for one repository. Pulls use Docker Hub mirrors; pushes never
   * do. Nothing is sent until the first call.
   */
  async repository(ref: NamedReference, opts: RepositoryOptions = {}): Promise<Repository> {
    const endpoints = await this.endpoints.lookup(ref.domain || DEFAULT_DOMAIN, { mirrors: (opts.mode ?? 'pull') === 'pull' });
    return new Repository(trimNamed(ref), endpoints, this.transport, opts);
  }

  /**
   * `POST /auth`: check credentials against a registry. Tries its endpoints
   * (without mirrors) in order; a rejection of the credentials ends the
   * attempt at once, other failures move on, and the last failure is
   * reported. Returns dockerd's `{Status: "Login Succeeded", IdentityToken}`.
   * `serverAddress` defaults to the AuthConfig's (the `POST /auth` body);
   * empty means Docker Hub.
   */
  async login(serverAddress: string | undefined, authConfig: AuthConfig): Promise<LoginResult> {
    serverAddress ??= authConfig.serveraddress ?? '';
    let host = INDEX_HOSTNAME;
    if (serverAddress !== '') {
      const withScheme = /^https?:\/\//.test(serverAddress) ? serverAddress : `https://${serverAddress}`;
      try {
        host = new URL(withScheme).host;
      } catch (err) {
        throw invalidParameter(`unable to parse server address: parse ${JSON.stringify(withScheme)}: invalid URL`, err);
      }
      if (host === '') throw invalidParameter(`unable to parse server address: ${serverAddress}`);
    }
    const endpoints = await this.endpoints.lookup(normalizeIndexName(host), { mirrors: false });
    let lastError: unknown;
    for (const ep of endpoints) {
      try {
        const identityToken = await this.loginV2(authConfig, ep);
        return identityToken ? { Status: 'Login Succeeded', IdentityToken: identityToken } : { Status: 'Login Succeeded' };
      } catch (err) {
        if (err instanceof EngineError && err.kind === 'unauthorized') throw err;
        lastError = err;
      }
    }
    throw lastError instanceof EngineError ? lastError : systemError(String(lastError));
  }

  private async loginV2(authConfig: AuthConfig, ep: RegistryEndpoint): Promise<string | undefined> {
    const endpointStr = `${ep.url.toString().replace(/\/+$/, '')}/v2/`;
    const url = new URL(endpointStr);
    const session = new AuthSession(this.transport, ep.tls, authConfig, { scopes: [], offlineAccess: true });
    // Ping for the challenge.
    const ping = await this.transport.send({ method: 'GET', url, headersTimeout: 15_000 }, ep.tls);
    session.setChallengesFromHeader(url.origin, ping.headers['www-authenticate']);
    await discard(ping);
    let authorization: string | undefined;
    try {
      authorization = await session.authorization(url);
    } catch (err) {
      if (!(err instanceof AuthorizationError)) throw err;
      const message = `Get ${JSON.stringify(endpointStr)}: ${err.message}`;
      const re = err.registryError;
      // dockerd's translateV2AuthError: only a single UNAUTHORIZED errcode is "unauthorized".
      if (re && !re.fromErrcodeList && re.entries.length === 1 && re.entries[0]!.code === 'UNAUTHORIZED') {
        throw new RegistryError('unauthorized', message, { entries: re.entries, httpStatus: re.httpStatus, cause: err });
      }
      throw new EngineError('system', message, { cause: err });
    }
    const res = await this.transport.send({ method: 'GET', url, headers: authorization ? { authorization } : {}, headersTimeout: 15_000 }, ep.tls);
    await discard(res);
    if (res.status !== 200) throw systemError(`login attempt to ${endpointStr} failed with status: ${goStatus(res.status)}`);
    return session.identityToken;
  }

  /** Close pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}


