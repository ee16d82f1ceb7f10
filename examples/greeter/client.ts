// Calls greeter's Say.Hello once and prints the answer.
import { createClient } from '../../src/runtime/index.ts';

const client = createClient();
const name = process.argv[2] ?? 'Ann';
const rsp = await client.call<{ msg: string }>('greeter', 'Say.Hello', { name }, { timeout: 5000 });
console.log(JSON.stringify(rsp));
await client.close();
