/** What we accept as a start image, checked on the bytes themselves, never on a name or declared type. */
export const IMAGE_RULES = { maxBytes: 10 * 1024 * 1024, minSide: 300, maxAspect: 2.5 } as const;

export interface ImageInfo {
  contentType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

function pngInfo(b: Buffer): ImageInfo | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (b.length < 24 || !b.subarray(0, 8).equals(signature) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { contentType: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// Start-of-frame markers carry the dimensions: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegInfo(b: Buffer): ImageInfo | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  let offset = 2;
  while (offset + 9 < b.length) {
    if (b[offset] !== 0xff) return null;
    const marker = b[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2; // markers without a length
      continue;
    }
    const length = b.readUInt16BE(offset + 2);
    if (SOF_MARKERS.has(marker)) {
      return { contentType: 'image/jpeg', height: b.readUInt16BE(offset + 5), width: b.readUInt16BE(offset + 7) };
    }
    if (marker === 0xd9 || length < 2) return null;
    offset += 2 + length;
  }
  return null;
}

/** The image's format and size, or null when the bytes are neither a PNG nor a JPEG we can read. */
export function inspectImage(bytes: Buffer): ImageInfo | null {
  return pngInfo(bytes) ?? jpegInfo(bytes);
}

/** Why the image cannot be used, as a sentence naming its form field, or its format and size when it can. */
export function imageProblem(bytes: Buffer, field = 'input_image'): { problem: string } | { info: ImageInfo } {
  if (bytes.length > IMAGE_RULES.maxBytes) return { problem: `${field} must be at most 10 MB` };
  const info = inspectImage(bytes);
  if (!info) return { problem: `${field} must be a JPEG or PNG image` };
  const { width, height } = info;
  if (width < IMAGE_RULES.minSide || height < IMAGE_RULES.minSide) {
    return { problem: `${field} must be at least ${IMAGE_RULES.minSide} px on each side (got ${width}x${height})` };
  }
  if (Math.max(width / height, height / width) > IMAGE_RULES.maxAspect) {
    return { problem: `${field} aspect ratio must be between 1:2.5 and 2.5:1 (got ${width}x${height})` };
  }
  return { info };
}
