import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { assertValidKey, encodeKeyForUrl } from './keys.js';
import { StorageError, type ObjectStorage } from './object-storage.js';
import { uploadStream } from './s3-upload.js';

export interface S3StorageOptions {
  /** Custom endpoint (R2, MinIO, s3rver); omit for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Public base URL of the bucket (CDN or R2 public domain); objects are at `${publicUrl}/${key}`. */
  publicUrl: string;
  forcePathStyle: boolean;
  /** Deadline for metadata calls (head, delete, the first byte of a get); default 30 s. */
  timeoutMs?: number;
}

/** S3-compatible storage (R2, S3, MinIO) with streamed multipart uploads (s3-upload.ts). */
export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const { bucket, timeoutMs = 30_000 } = options;
  const baseUrl = options.publicUrl.replace(/\/+$/, '');
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    forcePathStyle: options.forcePathStyle,
    // Since 3.729 the SDK adds CRC32 checksums to every upload by default (aws-chunked bodies, x-amz-checksum-*
    // headers), which several S3-compatible stores have rejected after that release; only send them when an API
    // requires it. s3rver 3.7.1 happens to work either way (checked); SigV4 still signs the payload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // requestTimeout is a socket idle timeout, so it bounds stalls without capping long uploads or downloads.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  });

  /** Runs one SDK call with a deadline; the timer is cleared once the response headers are in. */
  async function send<T>(key: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`S3 call timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      return await call(controller.signal);
    } catch (err) {
      throw translateError(err, key);
    } finally {
      clearTimeout(timer);
    }
  }

  async function deleteObject(key: string): Promise<void> {
    try {
      await send(key, (abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }));
    } catch (err) {
      if (err instanceof StorageError && err.kind === 'not_found') return;
      throw err;
    }
  }

  return {
    driver: 's3',

    async put(key, body, { contentType, maxBytes, signal }) {
      assertValidKey(key);
      signal?.throwIfAborted();
      let bytes: number;
      try {
        bytes = await uploadStream({ client, bucket, key, contentType, body, maxBytes, signal });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw translateError(err, key);
      }
      // A single-part PutObject already in flight cannot be recalled: remove it if the caller gave up meanwhile.
      if (signal?.aborted) {
        await deleteObject(key).catch(() => undefined);
        throw signal.reason;
      }
      return { bytes };
    },

    async get(key) {
      assertValidKey(key);
      const res = await send(key, (abortSignal) => client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }));
      if (!(res.Body instanceof Readable)) throw new StorageError('unavailable', `S3 returned no body for ${key}`);
      return {
        body: res.Body,
        contentType: res.ContentType ?? 'application/octet-stream',
        bytes: res.ContentLength ?? 0,
      };
    },

    async exists(key) {
      assertValidKey(key);
      try {
        await send(key, (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }));
        return true;
      } catch (err) {
        if (err instanceof StorageError && err.kind === 'not_found') return false;
        throw err;
      }
    },

    async delete(key) {
      assertValidKey(key);
      await deleteObject(key);
    },

    publicUrl(key) {
      return `${baseUrl}/${encodeKeyForUrl(key)}`;
    },
  };
}

/** Maps an SDK failure to a StorageError; the only place that looks inside S3 errors. */
export function translateError(err: unknown, key: string): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    if (err.name !== 'NoSuchBucket' && (err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404)) {
      return new StorageError('not_found', `No object at ${key}`, { cause: err });
    }
  }
  return new StorageError('unavailable', `Object storage failed for ${key}`, { cause: err });
}
