import path from 'node:path';

/**
 * Whether `key` is a safe object key: `/`-separated relative segments, none empty, none starting with a dot
 * (so neither `..` nor the local driver's `.tmp` folder can ever be named), no backslash, NUL or other control
 * character. Both drivers apply the same rule so a key that works locally also works on S3 and back.
 */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return false;
  return key.split('/').every((segment) => segment.length > 0 && !segment.startsWith('.'));
}

/** Throws when `key` is not a valid key: a bad key is a programming error, not a storage failure. */
export function assertValidKey(key: string): void {
  if (!isValidKey(key)) throw new Error(`Invalid storage key: ${JSON.stringify(key)}`);
}

/** The absolute file path of `key` under `root`; throws on a bad key or one that would leave `root`. */
export function resolveKeyPath(root: string, key: string): string {
  assertValidKey(key);
  const base = path.resolve(root);
  const file = path.resolve(base, key);
  // Defence in depth: isValidKey already rules out `..` and absolute paths.
  if (!file.startsWith(base + path.sep)) throw new Error(`Invalid storage key: ${JSON.stringify(key)}`);
  return file;
}

/** Encodes each segment of `key` for use in a URL path, keeping the `/` separators. */
export function encodeKeyForUrl(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

const contentTypes: Readonly<Record<string, string>> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.json': 'application/json',
};

/** The content type the local driver reports for `key`, from its extension. */
export function contentTypeForKey(key: string): string {
  return contentTypes[path.extname(key).toLowerCase()] ?? 'application/octet-stream';
}
