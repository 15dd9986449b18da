// A concurrency limit for blob transfers: dockerd runs at most
// max-concurrent-downloads (3) downloads and max-concurrent-uploads (5)
// uploads at once; the pull/push orchestration wraps each transfer in one.

export interface Limiter {
  /** Run `task` when a slot is free; resolves or rejects with it. */
  <T>(task: () => Promise<T>): Promise<T>;
  readonly limit: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
}

export const DEFAULT_TRANSFER_CONCURRENCY = 3;

export function createLimiter(limit: number = DEFAULT_TRANSFER_CONCURRENCY): Limiter {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= limit) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  const run = <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        let p: Promise<T>;
        try {
          p = task();
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(resolve, reject).finally(() => {
          active--;
          next();
        });
      });
      next();
    });
  return Object.defineProperties(run, {
    limit: { get: () => limit },
    active: { get: () => active },
    pending: { get: () => queue.length },
  }) as Limiter;
}
