import { isSea } from 'node:sea';

/** How to start another micro: the executable itself, or node with this script in development. */
export function selfInvocation(): { command: string; args: string[] } {
  if (isSea()) return { command: process.execPath, args: [] };
  return { command: process.execPath, args: [process.argv[1] ?? 'bin/micro.ts'] };
}
