/** Key-value pairs that travel with a call, in both directions. Keys are lower case. */
export type Metadata = Record<string, string>;

/** Header names that belong to the protocol, not to the call's metadata. */
const RESERVED = new Set([
  'micro-service',
  'micro-endpoint',
  'micro-id',
  'micro-timeout',
  'content-type',
  'micro-error',
  'micro-stream',
  'micro-topic',
]);

/** The metadata part of a message header. */
export function metadataFromHeader(header: Record<string, string>): Metadata {
  const md: Metadata = {};
  for (const key in header) {
    if (!RESERVED.has(key)) md[key] = header[key] as string;
  }
  return md;
}

/** Copies metadata into a header, lower-casing keys and dropping protocol names. */
export function mergeMetadata(into: Record<string, string>, md: Metadata | undefined): void {
  if (!md) return;
  for (const key in md) {
    const lower = key.toLowerCase();
    // Names a frame header cannot carry are dropped rather than failing the call.
    if (!RESERVED.has(lower) && lower.length > 0 && lower.length < 256)
      into[lower] = String(md[key]);
  }
}
