import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { closedAddress, errorOf, micro, startBench } from '../helpers/cli.ts';
import { scratchDir, startedForTests } from '../helpers/lifecycle.ts';

describe('micro call, stream and publish against a real control plane', () => {
  const bench = startedForTests(startBench);
  const dir = scratchDir('micro-call-');

  it('calls an endpoint with JSON from the argument, -d @file and stdin', async () => {
    const file = join(dir, 'request.json');
    writeFileSync(file, '{"name":"Bob"}');
    const hello = ['call', 'greeter', 'Say.Hello', ...bench().flag];
    const [arg, fromFile, fromStdin] = await Promise.all([
      micro([...hello, '{"name":"Ann"}', '--metadata', 'user=ann', '--timeout', '2s']),
      micro([...hello, '-d', `@${file}`]),
      micro(hello, { input: '{"name":"Cy"}\n' }),
    ]);
    for (const run of [arg, fromFile, fromStdin]) assert.equal(run.code, 0, run.stderr);
    assert.equal(
      arg.stdout,
      '{\n  "msg": "Hello Ann",\n  "user": "ann"\n}\n',
      'pretty JSON on stdout; --metadata reached the handler',
    );
    assert.deepEqual(JSON.parse(fromFile.stdout), { msg: 'Hello Bob' });
    assert.deepEqual(JSON.parse(fromStdin.stdout), { msg: 'Hello Cy' });
  });

  it('prints errors as error JSON on stderr and exits 1; --address needs no registry', async () => {
    const closed = await closedAddress();
    const [malformed, badStdin, unknown, slow, direct] = await Promise.all([
      micro(['call', 'greeter', 'Say.Hello', '{"name":', ...bench().flag]),
      micro(['call', 'greeter', 'Say.Hello', ...bench().flag], { input: 'name=Ann' }),
      micro(['call', 'nosuch', 'Say.Hello', '{}', ...bench().flag]),
      micro(['call', 'greeter', 'Say.Slow', '{}', '--timeout', '300ms', ...bench().flag]),
      // The registry is not running: the node is called at the address given.
      micro([
        'call',
        'greeter',
        'Say.Hello',
        '{"name":"Fay"}',
        '--address',
        bench().greeter.server.address,
        '--registry-address',
        closed,
      ]),
    ]);
    for (const run of [malformed, badStdin, unknown, slow]) {
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
    }
    assert.deepEqual(
      { ...errorOf(malformed), detail: '' },
      { id: 'micro.cli', code: 400, detail: '', status: 'Bad Request' },
    );
    assert.match(errorOf(malformed).detail, /malformed JSON in the request argument/);
    assert.match(errorOf(badStdin).detail, /malformed JSON in standard input/);
    assert.equal(errorOf(unknown).code, 404);
    assert.match(
      errorOf(unknown).detail,
      /nosuch not found in .*; micro list services shows what is there/,
    );
    assert.ok(
      errorOf(unknown).detail.includes(bench().controlPlane.address),
      `the 404 names the registry asked: ${unknown.stderr}`,
    );
    assert.equal(errorOf(slow).code, 408);
    assert.equal(direct.code, 0, direct.stderr);
    assert.deepEqual(JSON.parse(direct.stdout), { msg: 'Hello Fay' });
  });

  it('streams: one request to a server stream, stdin lines to client and bidi streams', async () => {
    const stream = (...args: string[]) => ['stream', 'greeter', ...args, ...bench().flag];
    const [server, client, bidi] = await Promise.all([
      micro(stream('Say.Count', '{"n":3}')),
      micro(stream('Say.Sum'), { input: '{"n":1}\n{"n":2}\n\n{"n":39}\n' }),
      micro(stream('Say.Shout'), { input: '{"word":"a"}\n{"word":"b"}\n' }),
    ]);
    for (const run of [server, client, bidi]) assert.equal(run.code, 0, run.stderr);
    assert.equal(server.stdout, '{"i":0}\n{"i":1}\n{"i":2}\n', 'one JSON line per response');
    assert.equal(client.stdout, '{"sum":42}\n');
    assert.equal(bidi.stdout, '{"word":"A"}\n{"word":"B"}\n');
  });

  it('publishes to a topic, and says when nobody subscribes', async () => {
    const received = bench().nextEvent();
    const [sent, unheard] = await Promise.all([
      micro(['publish', 'events', '{"kind":"signup","user":"ann"}', ...bench().flag]),
      micro(['publish', 'nobody-listens', '{}', ...bench().flag]),
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /published to events \(1 subscriber\)/);
    assert.deepEqual(await received, { kind: 'signup', user: 'ann' });
    assert.equal(unheard.code, 0, unheard.stderr);
    assert.match(unheard.stderr, /no subscriber to nobody-listens/);
  });
});
