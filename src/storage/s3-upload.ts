import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { addAbortSignal, type Readable } from 'node:stream';
import { tooLargeError } from './byte-counter.js';

/**
 * S3's smallest part. Every part is copied into one buffer of this size, reused from part to part, so an upload
 * holds ~5 MiB whatever the object's size, and allocates nothing per part for the garbage collector to be late
 * with. (The SDK's lib-storage concatenates a new buffer per part: +57–63 MB of RSS for a 500 MiB copy.)
 */
export const PART_SIZE = 5 * 1024 * 1024;

export interface StreamUpload {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  body: Readable | Buffer;
  maxBytes: number | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Uploads `body` as one PutObject when it fits in a part, else as a multipart upload of parts sent one at a time.
 * Nothing becomes visible unless every byte arrived: on any failure (the source, the size limit, the caller's
 * signal, S3) a started multipart upload is aborted. Resolves to the number of bytes stored.
 */
export async function uploadStream(upload: StreamUpload): Promise<number> {
  const { client, bucket, key, contentType, maxBytes, signal } = upload;
  const source: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(upload.body) ? [upload.body] : signal ? addAbortSignal(signal, upload.body) : upload.body;
  const part = Buffer.allocUnsafe(PART_SIZE);
  let filled = 0;
  let total = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];

  const sendPart = async (): Promise<void> => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }), { abortSignal: signal })).UploadId;
    const PartNumber = parts.length + 1;
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: part.subarray(0, filled) }),
      { abortSignal: signal },
    );
    parts.push({ ETag, PartNumber });
    filled = 0;
  };

  try {
    for await (const chunk of source) {
      total += chunk.length;
      if (maxBytes !== undefined && total > maxBytes) throw tooLargeError(maxBytes);
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === PART_SIZE) await sendPart();
      }
    }
    if (uploadId === undefined) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, Body: part.subarray(0, filled) }), { abortSignal: signal });
      return total;
    }
    if (filled > 0) await sendPart();
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      { abortSignal: signal },
    );
    return total;
  } catch (error) {
    if (!Buffer.isBuffer(upload.body)) upload.body.destroy();
    if (uploadId !== undefined) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    }
    throw signal?.aborted ? signal.reason : error;
  }
}
