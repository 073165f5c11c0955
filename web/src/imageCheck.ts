/** Checks an image before upload, with the same limits the providers apply. */

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MIN_SIDE = 300;
export const MAX_RATIO = 2.5;

export interface ImageCheck {
  problems: string[];
  width?: number;
  height?: number;
}

type Format = 'jpeg' | 'png' | null;

async function sniff(file: File): Promise<Format> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  return null;
}

function dimensions(url: string): Promise<{ width: number; height: number } | null> {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** `url` is an object URL for the file; the caller owns it. */
export async function checkImage(file: File, url: string): Promise<ImageCheck> {
  const problems: string[] = [];
  const format = await sniff(file);
  if (!format) problems.push('The image must be a JPEG or PNG file.');
  if (file.size > MAX_IMAGE_BYTES) problems.push(`The image is ${mb(file.size)} MB; the limit is 10 MB.`);
  if (!format) return { problems };

  const size = await dimensions(url);
  if (!size) {
    problems.push('This image could not be read. It may be damaged; please try another file.');
    return { problems };
  }
  const { width, height } = size;
  if (width < MIN_SIDE || height < MIN_SIDE) {
    problems.push(`The image is ${width}×${height} pixels; each side must be at least ${MIN_SIDE} pixels.`);
  }
  const ratio = width / height;
  if (ratio > MAX_RATIO || ratio < 1 / MAX_RATIO) {
    problems.push(
      `The image is too ${ratio > 1 ? 'wide' : 'tall'} (${width}×${height}); the aspect ratio must be between 1:2.5 and 2.5:1.`,
    );
  }
  return { problems, width, height };
}
