import { randomUUID } from 'node:crypto';
import type { Log } from '../../log.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { GenerationInput } from './request.js';

interface UploadDeps {
  storage: ObjectStorage;
  logger: Log;
}

/** A generation's uploads in storage: the start image and the end frame, where given. */
export interface StoredUploads {
  imageKey: string | null;
  endImageKey: string | null;
}

/** Stores the start image and the end frame, where given; if the second cannot be stored, neither stays. */
export async function storeUploads(deps: UploadDeps, input: GenerationInput): Promise<StoredUploads> {
  const imageKey = input.image ? await storeImage(deps.storage, input.image) : null;
  try {
    return { imageKey, endImageKey: input.endImage ? await storeImage(deps.storage, input.endImage) : null };
  } catch (error) {
    await removeUploads(deps, { imageKey, endImageKey: null });
    throw error;
  }
}

/** Removes the uploads of a request that stored no task (a failed removal is logged: the request's answer stands). */
export async function removeUploads(deps: UploadDeps, uploads: StoredUploads): Promise<void> {
  for (const key of [uploads.imageKey, uploads.endImageKey]) {
    if (key) await deps.storage.delete(key).catch((e: unknown) => deps.logger.warn({ err: e, key }, 'could not remove refused upload'));
  }
}

async function storeImage(storage: ObjectStorage, image: NonNullable<GenerationInput['image']>): Promise<string> {
  const extension = image.info.contentType === 'image/png' ? 'png' : 'jpg';
  // Never served by URL (only archived results are); no owner in the name all the same.
  const key = `uploads/${randomUUID()}.${extension}`;
  await storage.put(key, image.bytes, { contentType: image.info.contentType });
  return key;
}
