// Writable layers made ahead of time. Creating a container's writable layer
// costs the layer store a few durable writes (tens of milliseconds on a busy
// disk), on the hot path of every `docker run`. Container IDs are berth's to
// choose, so a spare layer made in the background for the image used last
// becomes the next container's layer and its ID is the container's ID.
//
// Spares live in memory only: after a crash, the runtime's start-up sweep
// removes writable layers that no container owns, spares included.
import type { Logger } from '../common/log.js';
import { errorMessage } from '../common/errors.js';
import type { RwLayerStore } from './ports.js';
import { generateId } from './util.js';

export class RwLayerPool {
  /** Parent chain ('' for none) → spare layer IDs ready to use. */
  private readonly spares = new Map<string, string[]>();
  private readonly filling = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly layers: RwLayerStore,
    private readonly logger: Logger,
    private readonly perChain = 2,
    private readonly maxChains = 2,
  ) {}

  /** A ready layer on `chain` (its ID becomes the container's), or undefined; refills in the background. */
  take(chain: string): string | undefined {
    const list = this.spares.get(chain);
    const id = list?.shift();
    if (list && list.length === 0) this.spares.delete(chain);
    this.refill(chain);
    return id;
  }

  private refill(chain: string): void {
    if (this.closed) return;
    const have = (this.spares.get(chain)?.length ?? 0) + (this.filling.get(chain) ?? 0);
    if (have >= this.perChain) return;
    // Keep spares for the most recent chains only.
    if (!this.spares.has(chain) && this.spares.size >= this.maxChains) {
      const oldest = this.spares.keys().next().value;
      if (oldest !== undefined) void this.drop(oldest);
    }
    this.filling.set(chain, (this.filling.get(chain) ?? 0) + 1);
    const id = generateId();
    void this.layers
      .createRW(id, chain || null)
      .then(
        async () => {
          if (this.closed) {
            await this.layers.removeRW(id).catch(() => undefined);
            return;
          }
          const list = this.spares.get(chain) ?? [];
          list.push(id);
          this.spares.set(chain, list);
        },
        (err: unknown) => this.logger.debug('spare writable layer not made', { chain, err: errorMessage(err) }),
      )
      .finally(() => {
        const n = (this.filling.get(chain) ?? 1) - 1;
        if (n <= 0) this.filling.delete(chain);
        else this.filling.set(chain, n);
      });
  }

  /** Forget the spares of a chain (its image is gone). */
  async drop(chain: string): Promise<void> {
    const list = this.spares.get(chain) ?? [];
    this.spares.delete(chain);
    for (const id of list) await this.layers.removeRW(id).catch(() => undefined);
  }

  /** IDs of the spares (not containers). */
  ids(): string[] {
    return [...this.spares.values()].flat();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const chain of [...this.spares.keys()]) await this.drop(chain);
  }
}
