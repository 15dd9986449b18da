// Container summaries as GET /containers/json and GET /system/df give them:
// one place that knows how the Image column and the sizes are worked out.
import type { Filters } from '../api/http/filters.js';
import type { ContainerService } from './service.js';

/** What listing needs from the runtime. */
export type ListingSource = Pick<ContainerService, 'list' | 'layers' | 'images'>;
import { summaryView } from './views.js';

/** SizeRw (the writable layer) and SizeRootFs (it plus the image's layers). */
export async function containerSizes(containers: ListingSource, id: string, imageId: string): Promise<{ sizeRw: number; sizeRootFs: number }> {
  const layers = containers.layers;
  const sizeRw = await layers.rwSize(id).catch(() => 0);
  let rootfs = sizeRw;
  try {
    let chain: string | null = containers.images.resolveForContainer(imageId).chainId || null;
    while (chain) {
      const l = await layers.get(chain);
      if (!l) break;
      rootfs += l.size;
      chain = l.parent;
    }
  } catch {
    // image gone: the writable layer alone
  }
  return { sizeRw, sizeRootFs: rootfs };
}

/**
 * The summaries of the containers that match, as dockerd lists them: Image is
 * what the user asked for while it still names the container's image, else
 * the image ID.
 */
export async function containerSummaries(
  containers: ListingSource,
  opts: { all: boolean; limit: number; filters: Filters; size: boolean },
): Promise<Array<Record<string, unknown>>> {
  const records = containers.list({ all: opts.all, limit: opts.limit, filters: opts.filters });
  const out: Array<Record<string, unknown>> = [];
  for (const rec of records) {
    let image = rec.Config.Image ?? rec.Image;
    if (image !== rec.Image) {
      try {
        if (containers.images.resolveForContainer(image).id !== rec.Image) image = rec.Image;
      } catch {
        image = rec.Image;
      }
    }
    const sizes = opts.size ? await containerSizes(containers, rec.ID, rec.Image) : {};
    out.push(summaryView(rec, { image, ...sizes }));
  }
  return out;
}
