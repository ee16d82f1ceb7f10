// Compile-time tests of typed endpoints and typed clients: `npm run typecheck` fails when a line
// marked @ts-expect-error compiles (the typing stopped catching that mistake) or any other line
// does not. Nothing here runs.
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unused-expressions -- the lines marked @ts-expect-error are wrong on purpose */
import { Type } from '@sinclair/typebox';
import { type } from 'arktype';
import * as v from 'valibot';
import * as z from 'zod';
import {
  bidiStream,
  clientStream,
  createClient,
  createService,
  endpoint,
  serverStream,
} from '../../src/runtime/index.ts';

const Hello = endpoint(
  {
    request: z.object({ name: z.string(), times: z.number().int().default(1) }),
    response: z.object({ msg: z.string() }),
  },
  async (req) => {
    const name: string = req.name;
    const times: number = req.times; // the default applied: a number, not number | undefined
    return { msg: `Hello ${name} x${times}` };
  },
);

// @ts-expect-error the request has no field `nam`
endpoint({ request: z.object({ name: z.string() }) }, async (req) => ({ msg: req.nam }));
// @ts-expect-error the response schema wants msg: string
endpoint({ response: z.object({ msg: z.string() }) }, async () => ({ msg: 1 }));
endpoint(
  { request: z.object({ name: z.string() }) },
  // @ts-expect-error an annotation that disagrees with the schema
  async (req: { name: number }) => req,
);

// Valibot, ArkType and TypeBox type the handler the same way.
endpoint({ request: v.object({ n: v.number() }) }, async (req) => req.n + 1);
endpoint({ request: type({ n: 'number' }) }, async (req) => req.n + 1);
endpoint({ request: Type.Object({ n: Type.Number() }) }, async (req) => req.n + 1);
// @ts-expect-error Valibot: n is a number
endpoint({ request: v.object({ n: v.number() }) }, async (req) => req.n.toUpperCase());
// @ts-expect-error ArkType: n is a number
endpoint({ request: type({ n: 'number' }) }, async (req) => req.n.toUpperCase());
// @ts-expect-error TypeBox: n is a number
endpoint({ request: Type.Object({ n: Type.Number() }) }, async (req) => req.n.toUpperCase());

// Plain JSON Schema: the function's annotation types it, as before.
const Legacy = endpoint(
  { request: { type: 'object', properties: { name: { type: 'string' } } } },
  async (req: { name: string }) => ({ msg: req.name }),
);

const Count = serverStream(
  { request: z.object({ n: z.number() }), response: z.object({ i: z.number() }) },
  async function* (req) {
    for (let i = 0; i < req.n; i++) yield { i };
  },
);
const Sum = clientStream({ request: z.object({ n: z.number() }) }, async (input) => {
  let sum = 0;
  for await (const m of input) sum += m.n;
  return { sum };
});
const Shout = bidiStream(async function* (input: AsyncIterable<{ word: string }>) {
  for await (const m of input) yield { word: m.word.toUpperCase() };
});

// Contract-first: the service's type (built by chained handle()) types the client.
export const greeter = createService({ name: 'greeter' })
  .handle('Say', { Hello, Legacy, Plain: async (req: { a: number }) => ({ b: req.a }) })
  .handle('Stream', { Count, Sum, Shout });

export async function callers(): Promise<void> {
  const client = createClient();
  const g = client.service<typeof greeter>('greeter');
  const r: { msg: string } = await g.Say.Hello({ name: 'Ann' }); // times may be left out: it has a default
  const l: { msg: string } = await g.Say.Legacy({ name: 'Bo' });
  const p: { b: number } = await g.Say.Plain({ a: 1 });
  void [r, l, p];
  // @ts-expect-error a wrong field name
  await g.Say.Hello({ nam: 'Ann' });
  // @ts-expect-error a wrong field type
  await g.Say.Hello({ name: 1 });
  // @ts-expect-error a missing field
  await g.Say.Hello({});
  // @ts-expect-error a wrong endpoint
  await g.Say.Goodbye({ name: 'Ann' });
  // @ts-expect-error a wrong handler
  await g.Shout.Hello({ name: 'Ann' });
  // @ts-expect-error the response has no field `message`
  (await g.Say.Hello({ name: 'Ann' })).message;

  for await (const m of await g.Stream.Count({ n: 3 })) {
    const i: number = m.i;
    void i;
  }
  const sum = await g.Stream.Sum();
  sum.send({ n: 1 });
  // @ts-expect-error a client stream's message has the request's type
  sum.send({ m: 1 });
  for await (const total of sum) void total.sum;
  const shout = await g.Stream.Shout();
  shout.send({ word: 'hi' });
  for await (const m of shout) void m.word.length;

  // A contract module (handlers without a service) types a client the same way.
  const contract = { Say: { Hello } };
  void contract;
  const c = client.service<typeof contract>('greeter');
  const cr: { msg: string } = await c.Say.Hello({ name: 'Cy' });
  void cr;
}
