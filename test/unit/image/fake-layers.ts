// An in-memory layer store with the owner semantics of src/storage/store.ts,
// for unit tests of the image service that need no filesystem mounts.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { notFound } from '../../../src/common/errors.js';
import type { ImageLayerStore, LayerDescription, LayerRegistration } from '../../../src/image/layers.js';
import { decompress } from '../../../src/image/streams.js';

interface FakeLayer {
  chainId: string;
  diffId: string;
  parent: string | null;
  tar: Buffer;
  owners: Set<string>;
  children: number;
}

export class FakeLayerStore implements ImageLayerStore {
  readonly layers = new Map<string, FakeLayer>();
  readonly driverName = 'fake';
  registerCalls = 0;

  async register(tar: AsyncIterable<Uint8Array>, parent: string | null, options: { expectedDiffId?: string; owner?: string } = {}): Promise<LayerRegistration> {
    this.registerCalls++;
    const { stream } = await decompress(Readable.from(tar));
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const diffId = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    if (options.expectedDiffId && options.expectedDiffId !== diffId) throw new Error(`layer diff ID mismatch: expected ${options.expectedDiffId}, got ${diffId}`);
    if (parent !== null && !this.layers.has(parent)) throw notFound(`layer does not exist: ${parent}`);
    const chainId = parent === null ? diffId : 'sha256:' + createHash('sha256').update(`${parent} ${diffId}`).digest('hex');
    let layer = this.layers.get(chainId);
    const created = !layer;
    if (!layer) {
      layer = { chainId, diffId, parent, tar: bytes, owners: new Set(), children: 0 };
      this.layers.set(chainId, layer);
      if (parent) this.layers.get(parent)!.children++;
    }
    if (options.owner) layer.owners.add(options.owner);
    return { chainId, diffId, size: bytes.length, created };
  }

  async retain(chainId: string, owner: string): Promise<void> {
    const l = this.layers.get(chainId);
    if (!l) throw notFound(`layer does not exist: ${chainId}`);
    l.owners.add(owner);
  }

  async release(chainId: string, owner: string): Promise<string[]> {
    const l = this.layers.get(chainId);
    if (!l) throw notFound(`layer does not exist: ${chainId}`);
    l.owners.delete(owner);
    return this.collect(l);
  }

  private collect(start: FakeLayer): string[] {
    const removed: string[] = [];
    let l: FakeLayer | undefined = start;
    while (l && l.owners.size === 0 && l.children === 0 && this.layers.get(l.chainId) === l) {
      this.layers.delete(l.chainId);
      removed.push(l.chainId);
      const parent: FakeLayer | undefined = l.parent ? this.layers.get(l.parent) : undefined;
      if (parent) parent.children--;
      l = parent;
    }
    return removed;
  }

  async has(chainId: string): Promise<boolean> {
    return this.layers.has(chainId);
  }

  async get(chainId: string): Promise<LayerDescription | undefined> {
    const l = this.layers.get(chainId);
    return l ? this.describe(l) : undefined;
  }

  private describe(l: FakeLayer): LayerDescription {
    return { chainId: l.chainId, diffId: l.diffId, parent: l.parent, size: l.tar.length, tarSize: l.tar.length, owners: [...l.owners].sort() };
  }

  async list(): Promise<LayerDescription[]> {
    return [...this.layers.values()].map((l) => this.describe(l));
  }

  async removeUnreferenced(): Promise<string[]> {
    const removed: string[] = [];
    for (const l of [...this.layers.values()]) if (this.layers.has(l.chainId)) removed.push(...this.collect(l));
    return removed;
  }

  async tar(chainId: string): Promise<Readable> {
    const l = this.layers.get(chainId);
    if (!l) throw notFound(`layer does not exist: ${chainId}`);
    return Readable.from([l.tar]);
  }

  async metadata(): Promise<Record<string, string> | null> {
    return null;
  }

  status(): Array<[string, string]> {
    return [];
  }
}
