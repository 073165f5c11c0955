import { Transform, type TransformCallback } from 'node:stream';
import { StorageError } from './object-storage.js';

/** A pass-through stream that counts bytes and fails with StorageError('too_large') once they exceed `maxBytes`. */
export class ByteCounter extends Transform {
  bytes = 0;
  tooLarge = false;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.tooLarge = true;
      callback(tooLargeError(this.maxBytes));
      return;
    }
    callback(null, chunk);
  }
}

/** The error both drivers reject with when a body exceeds its limit. */
export function tooLargeError(maxBytes: number): StorageError {
  return new StorageError('too_large', `Object exceeds the limit of ${maxBytes} bytes`);
}
