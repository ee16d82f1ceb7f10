// Calls greeter's Say.Hello once and prints the answer.
import { createClient } from '../../src/runtime/index.ts';
import { registryFromEnv } from './registry-from-env.ts';

const registry = registryFromEnv();
const client = createClient({ registry });
const name = process.argv[2] ?? 'Ann';
const rsp = await client.call<{ msg: string }>('greeter', 'Say.Hello', { name }, { timeout: 5000 });
console.log(JSON.stringify(rsp));
await client.close();
await registry.close();
