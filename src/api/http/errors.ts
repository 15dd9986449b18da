// The one place where engine error kinds become HTTP status codes (moby's errdefs → httpstatus).
import { EngineError, type ErrorKind } from '../../common/errors.js';

const statusByKind: Record<ErrorKind, number> = {
  'invalid-parameter': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  system: 500,
};

export function statusOf(err: unknown): number {
  if (err instanceof EngineError) return statusByKind[err.kind];
  if (err instanceof SyntaxError) return 400;
  return 500;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
