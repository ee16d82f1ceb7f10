// `npm run bench` runs every benchmark; `npm run bench -- rpc` runs the ones named.
// A new benchmark is a folder under bench/ whose index.ts exports run(), and one entry here.

/** A benchmark module: run() prints its own table. */
interface BenchModule {
  run(): Promise<void>;
}

/** The benchmarks by name, loaded only when run. */
const benches: { name: string; describe: string; load: () => Promise<BenchModule> }[] = [
  {
    name: 'rpc',
    describe:
      'request/response calls: micro (tcp json, tcp msgpack, http) vs Moleculer TCP vs a bare framed-TCP floor',
    load: () => import('./rpc/index.ts'),
  },
  {
    name: 'api',
    describe:
      'HTTP through the API gateway to a greeter vs a fastify + undici proxy, moleculer-web, and bare node:http',
    load: () => import('./api/index.ts'),
  },
  {
    name: 'cli',
    describe:
      'micro --version and micro call (binary, dev) vs node -e 0; service start until callable; binary size',
    load: () => import('./cli/index.ts'),
  },
  {
    name: 'registry',
    describe:
      'control plane with 10,000 nodes and 100 watchers: registration rate, watch propagation, memory, CPU',
    load: () => import('./registry/index.ts'),
  },
  {
    name: 'explore',
    describe:
      'micro explore start-up to its first drawn screen in a pty (binary, dev) vs micro --version and list services',
    load: () => import('./explore/index.ts'),
  },
  {
    name: 'nats',
    describe:
      'request/response over one nats-server: micro NATS transport vs Moleculer NATS transporter vs bare nats request/reply',
    load: () => import('./nats/index.ts'),
  },
];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--')); // flags are the benches' own
const unknown = wanted.filter((w) => !benches.some((b) => b.name === w));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; there are:`);
  for (const b of benches) console.error(`  ${b.name.padEnd(8)} ${b.describe}`);
  process.exit(2);
}

for (const b of benches.filter((x) => wanted.length === 0 || wanted.includes(x.name))) {
  console.log(`\n== ${b.name}: ${b.describe}\n`);
  const started = Date.now();
  try {
    await (await b.load()).run();
  } catch (err) {
    console.error(`\n${b.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
  console.log(`\n${b.name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
