// The two properties every HTTP server of micro is fuzzed with: arbitrary requests, and arbitrary
// bytes around a valid one. The caller gives the arbitraries and what a well-formed answer is.
import assert from 'node:assert/strict';
import { fc, fuzzParams, mangled } from './fuzz.ts';
import { rawExchange, rawRequest, type RawResponse } from './raw-http.ts';

/** Checks an answer; `what` names the request in a failure. */
export type AnswerCheck = (res: RawResponse, what: string) => void;

/** What the arbitrary requests are made of. */
export interface RequestParts {
  method: fc.Arbitrary<string>;
  path: fc.Arbitrary<string>;
  /** Headers; the Host is 127.0.0.1:port unless given, and Connection follows Upgrade. */
  headers: fc.Arbitrary<Record<string, string>>;
  body: fc.Arbitrary<string>;
}

/** Sends 1000 arbitrary requests (MICRO_FUZZ_RUNS for more), one a connection; memory grows < 256 MiB. */
export async function fuzzRequests(
  port: number,
  parts: RequestParts,
  check: AnswerCheck,
): Promise<void> {
  const rss = process.memoryUsage().rss;
  await fc.assert(
    fc.asyncProperty(parts.method, parts.path, parts.headers, parts.body, async (m, p, h, b) => {
      const given: Record<string, string> = { ...h, host: h.host ?? `127.0.0.1:${port}` };
      given.connection = given.upgrade ? 'Upgrade' : 'close';
      const request = rawRequest(port, { method: m, path: p, headers: given, body: b });
      const res = await rawExchange(port, [request], { untilResponse: true, waitMs: 5000 });
      check(res, `${m} ${p}`);
    }),
    fuzzParams(1000, 10_000),
  );
  const grew = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grew < 256, `memory grew ${grew.toFixed(0)} MiB`);
}

/**
 * Sends arbitrary bytes, and a valid call of greeter's Say.Hello posted to `path` cut short or with
 * a byte changed, then ends the connection: the server answers (as `check` wants) or closes.
 */
export async function fuzzBytes(port: number, path: string, check: AnswerCheck): Promise<void> {
  const valid = rawRequest(port, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: '{"service":"greeter","endpoint":"Say.Hello","request":{"name":"a"}}',
  });
  await fc.assert(
    fc.asyncProperty(mangled(valid), async (chunk) => {
      const res = await rawExchange(port, [chunk], { untilResponse: true, end: true });
      assert.ok(res.status > 0 || res.closed, 'the server closed once the client had sent all');
      if (res.status === 0) return; // an incomplete request, dropped
      check(res, JSON.stringify(chunk.toString('latin1').slice(0, 80)));
    }),
    fuzzParams(1000, 10_000),
  );
}
