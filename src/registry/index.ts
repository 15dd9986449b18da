// The registry client: what the daemon's pull, push and login use.
// Credentials files (credentials.ts) are the CLI's and are not exported here.
export * from './auth-config.js';
export { parseChallengeHeader, parseChallenges, type Challenge } from './challenge.js';
export { AuthSession, AUTH_CLIENT_ID, repositoryScope } from './auth.js';
export * from './endpoints.js';
export {
  RegistryError,
  TransportError,
  DigestMismatchError,
  errorFromResponse,
  translatePullError,
  describeTransportError,
  type RegistryErrorEntry,
} from './errors.js';
export * from './limit.js';
export * from './manifest.js';
export * from './platform.js';
export * from './repository.js';
export * from './service.js';
export { HttpTransport, type TlsSettings, type HttpRequest, type HttpResponse } from './transport.js';
