import { Type } from '@sinclair/typebox';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { type } from 'arktype';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as v from 'valibot';
import * as z from 'zod';
import {
  bidiStream,
  clientStream,
  createClient,
  createMemoryRegistry,
  createService,
  endpoint,
  MicroError,
  serverStream,
} from '../../../src/runtime/index.ts';
import { closeAll, quiet } from '../../helpers/fixtures.ts';

// A service whose endpoints are declared with Zod, Valibot, ArkType and TypeBox, on real sockets:
// each library validates its own requests, the registry shows JSON Schema for each, and a typed
// client calls every kind of endpoint.
const registry = createMemoryRegistry();
const warnings: string[] = [];
const Person = z.object({ name: z.string().min(1), times: z.number().int().positive().default(1) });

const greeter = createService({
  name: 'typed-greeter',
  registry,
  handleSignals: false,
  logger: { ...quiet, warn: (m: string) => void warnings.push(m) },
})
  .handle('Zod', {
    Hello: endpoint({ request: Person, response: z.object({ msg: z.string() }) }, async (req) => ({
      msg: `Hello ${req.name}`.repeat(req.times),
    })),
    Later: endpoint(
      { request: z.object({ at: z.string().refine(async (s) => s.length > 2, 'too short') }) },
      async (req) => ({ at: req.at }),
    ),
  })
  .handle('Valibot', {
    Plain: endpoint({ request: v.object({ n: v.number() }) }, async (req) => ({ n: req.n + 1 })),
    Wrapped: endpoint(
      { request: toStandardJsonSchema(v.object({ n: v.number() })) },
      async (req) => ({ n: req.n + 2 }),
    ),
  })
  .handle('Ark', {
    Add: endpoint({ request: type({ a: 'number', b: 'number' }) }, async (req) => ({
      sum: req.a + req.b,
    })),
  })
  .handle('Box', {
    Upper: endpoint({ request: Type.Object({ s: Type.String() }) }, async (req) => ({
      s: req.s.toUpperCase(),
    })),
  })
  .handle('Stream', {
    Count: serverStream(
      {
        request: z.object({ n: z.number().int().max(100) }),
        response: z.object({ i: z.number() }),
      },
      async function* (req) {
        for (let i = 0; i < req.n; i++) yield { i };
      },
    ),
    Sum: clientStream({ request: z.object({ n: z.number() }) }, async (input) => {
      let sum = 0;
      for await (const m of input) sum += m.n;
      return { sum };
    }),
    Shout: bidiStream({ request: type({ word: 'string' }) }, async function* (input) {
      for await (const m of input) yield { word: m.word.toUpperCase() };
    }),
  });

const client = createClient({ registry });
const typed = client.service<typeof greeter>('typed-greeter');

/** The call's error, which must be a 400 naming the endpoint and the field. */
async function badRequest(call: Promise<unknown>, field: RegExp): Promise<MicroError> {
  const err = await call.then(
    () => assert.fail('the call should have been refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MicroError, String(err));
  assert.equal(err.code, 400);
  assert.match(err.detail, /does not match its schema/);
  assert.match(err.detail, field);
  return err;
}

describe('typed services: Zod, Valibot, ArkType and TypeBox schemas', () => {
  before(() => greeter.start());
  after(() => closeAll(client, greeter));

  it('validates with each library and hands the handler the parsed value (Zod defaults applied)', async () => {
    assert.deepEqual(await typed.Zod.Hello({ name: 'Ann' }), { msg: 'Hello Ann' });
    assert.deepEqual(await typed.Zod.Hello({ name: 'Bo', times: 2 }), { msg: 'Hello BoHello Bo' });
    assert.deepEqual(await typed.Valibot.Plain({ n: 1 }), { n: 2 });
    assert.deepEqual(await typed.Valibot.Wrapped({ n: 1 }), { n: 3 });
    assert.deepEqual(await typed.Ark.Add({ a: 2, b: 3 }), { sum: 5 });
    assert.deepEqual(await typed.Box.Upper({ s: 'hi' }), { s: 'HI' });
    assert.deepEqual(await typed.Zod.Later({ at: 'noon' }), { at: 'noon' }, 'an async refinement');
  });

  it('refuses what the schema refuses with a 400 that names the field, from each library', async () => {
    const untyped = (endpoint: string, body: unknown): Promise<unknown> =>
      client.call('typed-greeter', endpoint, body, { retries: 0 });
    await badRequest(untyped('Zod.Hello', { name: '' }), /\/name .*(>=1|at least|too small)/i);
    await badRequest(untyped('Zod.Hello', { name: 'x', times: 0 }), /\/times /);
    await badRequest(untyped('Zod.Later', { at: 'a' }), /\/at too short/);
    await badRequest(untyped('Valibot.Plain', { n: 'one' }), /\/n .*number/i);
    await badRequest(untyped('Ark.Add', { a: 1 }), /\/b /);
    await badRequest(untyped('Box.Upper', { s: 3 }), /\/s must be string/);
    const count = await client.stream('typed-greeter', 'Stream.Count', { retries: 0 });
    count.send({ n: 1000 });
    count.end();
    await badRequest(
      (async () => {
        for await (const _ of count);
      })(),
      /\/n /,
    );
  });

  it('advertises JSON Schema for every library in the registry', async () => {
    const [record] = await registry.getService('typed-greeter');
    const schema = (name: string, side: 'request' | 'response') =>
      record?.endpoints.find((e) => e.name === name)?.[side];
    assert.deepEqual(schema('Zod.Hello', 'request'), {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1 },
        times: {
          type: 'integer',
          exclusiveMinimum: 0,
          maximum: Number.MAX_SAFE_INTEGER,
          default: 1,
        },
      },
      required: ['name'],
    });
    assert.deepEqual(schema('Zod.Hello', 'response'), {
      type: 'object',
      properties: { msg: { type: 'string' } },
      required: ['msg'],
      additionalProperties: false,
    });
    for (const name of ['Valibot.Plain', 'Valibot.Wrapped'])
      assert.deepEqual(schema(name, 'request'), {
        type: 'object',
        properties: { n: { type: 'number' } },
        required: ['n'],
      });
    assert.deepEqual(schema('Ark.Add', 'request'), {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    assert.deepEqual(schema('Box.Upper', 'request'), {
      type: 'object',
      properties: { s: { type: 'string' } },
      required: ['s'],
    });
    assert.deepEqual(warnings, [], 'every schema converted');
  });

  it('calls every kind of endpoint through the typed client', async () => {
    const counted: number[] = [];
    for await (const m of await typed.Stream.Count({ n: 3 })) counted.push(m.i);
    assert.deepEqual(counted, [0, 1, 2]);

    const sum = await typed.Stream.Sum();
    for (const n of [1, 2, 3]) sum.send({ n });
    sum.end();
    const totals: number[] = [];
    for await (const m of sum) totals.push(m.sum);
    assert.deepEqual(totals, [6]);

    const shout = await typed.Stream.Shout();
    shout.send({ word: 'hi' });
    shout.send({ word: 'there' });
    shout.end();
    const words: string[] = [];
    for await (const m of shout) words.push(m.word);
    assert.deepEqual(words, ['HI', 'THERE']);
  });

  it('refuses a stream message that does not match, ending the stream with the 400', async () => {
    const sum = await typed.Stream.Sum();
    sum.send({ n: 1 });
    sum.send({ n: 'two' } as unknown as { n: number });
    sum.end();
    await assert.rejects(
      (async () => {
        for await (const _ of sum);
      })(),
      (e: unknown) => e instanceof MicroError && e.code === 400 && /\/n /.test(e.detail),
    );
  });
});
