// The dashboard's pages, scripts and styles: SEA assets inside the single executable
// (scripts/build-sea.mjs embeds src/ui/web/static as `web/<path>`), the files themselves otherwise.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { getAsset, getAssetKeys, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** Prefix of the dashboard's files among the executable's assets. */
export const ASSET_PREFIX = 'web/';

/** One file, ready to send. */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Makes one file ready to send: its type, and an ETag from its content. */
export const asset = (path: string, body: Buffer): Asset => ({
  body,
  type: TYPES[extname(path)] ?? 'application/octet-stream',
  etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
});

/** Every file below dir, as paths relative to it with forward slashes. */
function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'));
}

/** Loads the dashboard's files, keyed by path (`index.html`, `pages/services.js`). */
export function loadAssets(): Map<string, Asset> {
  const files = new Map<string, Asset>();
  if (isSea()) {
    for (const key of getAssetKeys()) {
      if (!key.startsWith(ASSET_PREFIX)) continue;
      const path = key.slice(ASSET_PREFIX.length);
      files.set(path, asset(path, Buffer.from(getAsset(key))));
    }
    return files;
  }
  const dir = fileURLToPath(new URL('./static/', import.meta.url));
  for (const path of walk(dir)) files.set(path, asset(path, readFileSync(join(dir, path))));
  return files;
}

/**
 * The version of a set of files: a hash of their paths and contents. Pages link the files under
 * `/_/static/~VERSION/`, which a browser may keep for good, since other files get another version.
 */
export function assetsVersion(files: Map<string, Asset>): string {
  const hash = createHash('sha1');
  for (const [path, file] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(`${path}\0${file.etag}\0`);
  return hash.digest('base64url').slice(0, 12);
}
