// The engine's typed error model. Every layer throws these; the API maps the
// kind to an HTTP status in exactly one place (src/api/http/errors.ts), as
// moby's errdefs do, so handlers never pick status codes themselves.

export type ErrorKind =
  | 'invalid-parameter' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'not-modified' // 304
  | 'not-implemented' // 501
  | 'unavailable' // 503
  | 'system'; // 500

export class EngineError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'EngineError';
  }
}

export const invalidParameter = (message: string, cause?: unknown): EngineError =>
  new EngineError('invalid-parameter', message, { cause });
export const notFound = (message: string, cause?: unknown): EngineError => new EngineError('not-found', message, { cause });
export const conflict = (message: string, cause?: unknown): EngineError => new EngineError('conflict', message, { cause });
export const unauthorized = (message: string, cause?: unknown): EngineError =>
  new EngineError('unauthorized', message, { cause });
export const forbidden = (message: string, cause?: unknown): EngineError => new EngineError('forbidden', message, { cause });
export const notModified = (message = ''): EngineError => new EngineError('not-modified', message);
export const notImplemented = (message: string): EngineError => new EngineError('not-implemented', message);
export const unavailable = (message: string, cause?: unknown): EngineError =>
  new EngineError('unavailable', message, { cause });
export const systemError = (message: string, cause?: unknown): EngineError => new EngineError('system', message, { cause });

export function isEngineError(err: unknown, kind?: ErrorKind): err is EngineError {
  return err instanceof EngineError && (kind === undefined || err.kind === kind);
}

/** errno code of a Node system error (ENOENT, EEXIST...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
