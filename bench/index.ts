// `npm run bench` runs every benchmark; `npm run bench -- rpc` runs the ones named.
// A new benchmark is a folder under bench/ whose index.ts exports run() and describe, and one entry here.

/** A benchmark module: run() prints its own table; describe says what it measures. */
interface BenchModule {
  describe: string;
  run(): Promise<void>;
}

/** The benchmarks by name, loaded only when run (or listed). */
const benches: Record<string, () => Promise<BenchModule>> = {
  rpc: () => import('./rpc/index.ts'),
  api: () => import('./api/index.ts'),
  cli: () => import('./cli/index.ts'),
  registry: () => import('./registry/index.ts'),
  explore: () => import('./explore/index.ts'),
  scale: () => import('./scale/index.ts'),
  nats: () => import('./nats/index.ts'),
  store: () => import('./store/index.ts'),
  events: () => import('./events/index.ts'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--')); // flags are the benches' own
const unknown = wanted.filter((w) => !(w in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; there are:`);
  for (const [name, load] of Object.entries(benches))
    console.error(`  ${name.padEnd(8)} ${(await load()).describe}`);
  process.exit(2);
}

for (const [name, load] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const started = Date.now();
  try {
    const bench = await load();
    console.log(`\n== ${name}: ${bench.describe}\n`);
    await bench.run();
  } catch (err) {
    console.error(`\n${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
  console.log(`\n${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
