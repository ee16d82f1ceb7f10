/** The framed protocol's frames (docs/protocol.md): their format and encoder, and their reader. */
export * from './frame-format.ts';
export * from './frame-reader.ts';
