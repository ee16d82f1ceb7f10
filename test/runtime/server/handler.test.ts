import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bidiStream,
  clientStream,
  createMemoryRegistry,
  endpoint,
  serverStream,
  streamKindOf,
  type Context,
  type EndpointDefinition,
  type Handler,
  type StreamKind,
} from '../../../src/runtime/index.ts';
import { extractEndpoints } from '../../../src/runtime/server/handler.ts';
import { quietService } from '../../helpers/fixtures.ts';

const request = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };

describe('handlers and their declarations', () => {
  it('takes the options first in every helper, as endpoint() does, and the old order still', () => {
    const count = async function* (req: { n: number }) {
      yield req.n;
    };
    const sum = async (input: AsyncIterable<{ n: number }>) => {
      let s = 0;
      for await (const m of input) s += m.n;
      return s;
    };
    const echo = async function* (input: AsyncIterable<{ n: number }>) {
      yield* input;
    };
    const pairs: [StreamKind, EndpointDefinition, EndpointDefinition][] = [
      ['server', serverStream({ request }, count), serverStream(count, { request })],
      ['client', clientStream({ request }, sum), clientStream(sum, { request })],
      ['bidi', bidiStream({ request }, echo), bidiStream(echo, { request })],
    ];
    for (const [kind, optionsFirst, old] of pairs) {
      assert.equal(optionsFirst.stream, kind);
      assert.deepEqual(optionsFirst.request, request);
      assert.deepEqual({ ...old }, { ...optionsFirst }, `${kind}: both orders declare the same`);
    }
    assert.equal(serverStream(count).stream, 'server', 'options may be left out');
    // The function's context is typed without saying so; a function of the wrong shape is refused.
    const typed = serverStream({ request }, async function* (_req: unknown, ctx) {
      yield ctx.endpoint;
    });
    assert.equal(typed.stream, 'server');
    // @ts-expect-error a client stream answers once, with a promise
    assert.equal(clientStream({ request }, (_input: AsyncIterable<number>) => 1).stream, 'client');
    // @ts-expect-error the function is not optional
    assert.throws(() => clientStream({ request }, 'not a function'), /fn must be a function/);
    assert.equal(endpoint({ request }, async () => 1).request, request);
    assert.throws(
      () => serverStream({ request } as never, { request } as never),
      /serverStream\(options, fn\): fn must be a function/,
    );
  });

  it('reads stream kinds from registry metadata as a StreamKind, unary when unknown', () => {
    const kinds = ['server', 'client', 'bidi', undefined, 'sideways'].map((stream) =>
      streamKindOf({ metadata: stream === undefined ? {} : { stream } }),
    );
    assert.deepEqual(kinds, ['server', 'client', 'bidi', 'unary', 'unary']);
    assert.equal(streamKindOf(undefined), 'unary');
  });

  it("serves a class instance's methods, not its fields or _names", () => {
    class Greeter {
      greeting = 'Hello';
      _secret(): string {
        return 'no';
      }
      async Hello(req: { name: string }, ctx: Context) {
        return { msg: `${this.greeting} ${req.name} from ${ctx.from}` };
      }
    }
    const names = extractEndpoints('Greeter', new Greeter()).map((e) => e.name);
    assert.deepEqual(names, ['Greeter.Hello']);
  });

  it('types a handler: ctx is a Context without saying so, and a method that is not (request, ctx) is refused', async () => {
    const registry = createMemoryRegistry();
    const s = quietService({ name: 'typed', registry });
    const handler: Handler = { Count: serverStream(async function* () {}) };
    s.handle('Typed', {
      // ctx is typed from the Handler: no annotation needed (with handle(name, object) it was any).
      Hello: async (req: { name: string }, ctx) => ({ msg: `${req.name} ${ctx.endpoint}` }),
      Sum: clientStream(async (input: AsyncIterable<number>) => input && 0),
    });
    s.handle('More', handler);
    class Plain {
      count = 0;
      async Up() {
        return { n: ++this.count };
      }
    }
    s.handle(new Plain());
    class Schemas {
      async Hello(req: { name: string }) {
        return { msg: req.name };
      }
    }
    s.handle('Checked', new Schemas(), { endpoints: { Hello: { request } } });
    // @ts-expect-error endpoints names the handler's methods: Helo is a typo
    s.handle('Typo', new Schemas(), { endpoints: { Helo: { request } } });
    class TooMany {
      Hello(a: number, b: Context, c: string): string {
        return `${a} ${b.endpoint} ${c}`;
      }
    }
    // @ts-expect-error an endpoint takes (request, ctx): a third argument never comes
    s.handle('Wrong', new TooMany());
    const wrongContext = { Hello: (req: unknown, ctx: string) => ctx };
    // @ts-expect-error the second argument is the Context, not a string
    s.handle('Wrong2', wrongContext);
    const endpoints = s.server
      .record()
      .endpoints.map((e) => `${e.name}:${streamKindOf(e)}`)
      .sort();
    assert.deepEqual(endpoints, [
      'Checked.Hello:unary',
      'More.Count:server',
      'Plain.Up:unary',
      'Typed.Hello:unary',
      'Typed.Sum:client',
      'Typo.Hello:unary',
      'Wrong.Hello:unary',
      'Wrong2.Hello:unary',
    ]);
    await registry.close();
  });
});
