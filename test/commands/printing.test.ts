// The CLI never prints a control character from remote data: service names, metadata, schemas and
// errors from other processes are shown with their escapes visible (\u001b), in text and in JSON.
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { serviceText } from '../../src/commands/get.ts';
import { healthText, type Health } from '../../src/commands/health.ts';
import { servicesTable } from '../../src/commands/list.ts';
import { fail, print } from '../../src/commands/shared/output.ts';
import type { Service } from '../../src/registry/registry.ts';
import { micro, startBench, type Bench } from '../helpers/cli.ts';
import { controls } from '../helpers/terminal.ts';

/** ESC and CSI sequences that clear the screen, recolour and set the window title; a bidi override. */
const NASTY = '\u001b[2J\u001b[31m\u009b1m\u001b]0;pwned\u0007\u202e\r';

/** What fn wrote to stdout and stderr. */
function captured(fn: () => void): string {
  const out: string[] = [];
  const keep = (chunk: unknown): boolean => {
    out.push(String(chunk));
    return true;
  };
  const code = process.exitCode;
  const stdout = mock.method(process.stdout, 'write', keep);
  const stderr = mock.method(process.stderr, 'write', keep);
  try {
    fn();
  } finally {
    stdout.mock.restore();
    stderr.mock.restore();
    process.exitCode = code;
  }
  return out.join('');
}

// As a registry engine written by someone else could hand it over, had it not been checked.
const hostile: Service = {
  name: `evil${NASTY}`,
  version: `1${NASTY}`,
  metadata: { [`k${NASTY}`]: `v${NASTY}` },
  endpoints: [
    {
      name: `Say${NASTY}`,
      request: { type: 'object', properties: { [`f${NASTY}`]: { type: `string${NASTY}` } } },
      metadata: { note: NASTY },
    },
  ],
  nodes: [{ id: `n${NASTY}`, address: `127.0.0.1:1${NASTY}`, metadata: { z: NASTY } }],
};

describe('CLI printers', () => {
  it('list, get and health text show control characters as escapes', () => {
    const health: Health[] = [
      {
        node: `n${NASTY}`,
        address: 'x',
        version: '1',
        status: `bad${NASTY}`,
        ms: 1,
        error: { id: 'x', code: 500, detail: `boom${NASTY}`, status: 'x' },
      },
    ];
    for (const [label, text] of [
      ['list', () => servicesTable([hostile])],
      ['get', () => serviceText([hostile])],
      ['health', () => healthText(health)],
    ] as const) {
      const out = captured(() => print('text', null, text));
      assert.deepEqual(controls(out), [], label);
      assert.match(out, /\\u001b\[2J/, `${label} shows the escape`);
    }
  });

  it('JSON output and error JSON escape C1 and bidi controls, which JSON.stringify leaves raw', () => {
    const out = captured(() => print('json', [hostile], () => ''));
    assert.deepEqual(controls(out), []);
    assert.deepEqual(JSON.parse(out), [hostile], 'still the same JSON');
    const err = captured(() => fail(new Error(`failed ${NASTY}`)));
    assert.deepEqual(controls(err), []);
    assert.match((JSON.parse(err) as { detail: string }).detail, /^failed /);
  });
});

describe('CLI output of a record with hostile metadata, through a real control plane', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench();
    // Names are checked now; metadata values and schema texts are free text, and kept as given.
    await bench.registry.register(
      {
        name: 'hostile',
        version: '1.0.0',
        metadata: { note: `a${NASTY}b` },
        endpoints: [
          {
            name: 'Say.Hello',
            request: { type: 'object', properties: { name: { type: 'string' } }, title: NASTY },
            metadata: { description: NASTY },
          },
        ],
        nodes: [{ id: 'hostile-1', address: '127.0.0.1:1', metadata: { zone: NASTY } }],
      },
      { ttl: 60_000 },
    );
  });
  after(async () => {
    await bench.stop();
  });

  it('get, list, health and doctor print no raw control character, in text or JSON', async () => {
    for (const args of [
      ['get', 'service', 'hostile'],
      ['get', 'service', 'hostile', '-o', 'json'],
      ['list', 'services'],
      ['health', 'hostile', '-t', '300'],
      ['doctor', 'hostile', '-t', '300'],
    ]) {
      const run = await micro([...args, ...bench.flag]);
      assert.deepEqual(controls(run.stdout + run.stderr), [], args.join(' '));
      if (args[0] === 'get') assert.match(run.stdout, /\\u001b\[2J/, 'the escape is visible');
    }
  });
});
