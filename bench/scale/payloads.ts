// What every consumer of a large fleet receives: Registry.ListServices (the full list, and the
// summary/paged form when the control plane serves one), `micro list services --output json`, the
// gateway's /openapi.json (the whole document and one service's), and the dashboard's first event.
import { cleanEnv, timeCommand } from '../lib/processes.ts';
import type { Micro } from './micro-run.ts';

/** A payload: its size in bytes and the time it took; bytes NaN with why when not served. */
export interface Payload {
  bytes: number;
  ms: number;
  /** Why there is no figure (the form is not served, or answered with the full list). */
  na?: string;
}

/** Everything payloads() measured. */
export interface Payloads {
  list: Payload;
  /** ListServices with {summary: true, limit: 500} (issue 15, point 3). */
  summary: Payload;
  cli: Payload;
  /** The first /openapi.json after the fill: the gateway builds it. */
  openapi: Payload;
  /** The second, from the gateway's cache. */
  openapiAgain: Payload;
  /** /openapi.json?service=svc-1 (issue 15, point 3). */
  openapiOne: Payload;
  /** Services in the whole document's paths, to tell whether the gateway had the whole fleet. */
  openapiServices: number;
}

const TIMEOUT = 60_000;

/** POSTs a Registry endpoint's request to the control plane, as the registry client does. */
async function registryCall(
  registry: string,
  endpoint: string,
  body: unknown,
): Promise<Payload & { status: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://${registry}/`, {
    method: 'POST',
    headers: {
      'micro-service': 'registry',
      'micro-endpoint': endpoint,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT),
  });
  const bytes = (await res.arrayBuffer()).byteLength;
  return { status: res.status, bytes, ms: performance.now() - t0 };
}

/** GETs a URL; its status, bytes, time and text. */
async function get(url: string): Promise<Payload & { status: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT) });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), ms: performance.now() - t0, text };
}

/**
 * A form that is still to come (issue 15, point 3): n/a when the server refuses it (400, 404), or
 * when it answers as big as the full form (it ignored what was asked).
 */
function newForm(p: Payload & { status: number }, full: number): Payload {
  if (p.status === 400 || p.status === 404) return { bytes: NaN, ms: NaN, na: `n/a (${p.status})` };
  if (p.status !== 200) return { bytes: NaN, ms: NaN, na: `n/a (status ${p.status})` };
  if (p.bytes >= full * 0.9) return { bytes: NaN, ms: NaN, na: 'n/a (answered in full)' };
  return { bytes: p.bytes, ms: p.ms };
}

/** Measures the payloads of a fleet registered on the control plane at registry, gateway at api. */
export async function payloads(m: Micro, registry: string, api: string): Promise<Payloads> {
  const list = await registryCall(registry, 'Registry.ListServices', {});
  // TODO(issue 15, point 3): once the paged form is served, also follow its cursor to the end.
  const summary = newForm(
    await registryCall(registry, 'Registry.ListServices', { summary: true, limit: 500 }),
    list.bytes,
  );
  const run = await timeCommand(
    m.command,
    [...m.prefix, 'list', 'services', '--output', 'json'],
    cleanEnv({ MICRO_REGISTRY_ADDRESS: registry }),
    TIMEOUT,
  );
  const cli: Payload =
    run.code === 0
      ? { bytes: Buffer.byteLength(run.stdout), ms: run.ms }
      : {
          bytes: NaN,
          ms: NaN,
          na: `failed (exit ${run.code ?? run.signal}): ${run.stderr.slice(0, 200)}`,
        };
  const openapi = await get(`http://${api}/openapi.json`);
  const openapiAgain = await get(`http://${api}/openapi.json`);
  const openapiOne = newForm(await get(`http://${api}/openapi.json?service=svc-1`), openapi.bytes);
  return {
    list,
    summary,
    cli,
    openapi: { bytes: openapi.bytes, ms: openapi.ms },
    openapiAgain: { bytes: openapiAgain.bytes, ms: openapiAgain.ms },
    openapiOne,
    openapiServices: servicesIn(openapi.text),
  };
}

/** The distinct first path segments of an OpenAPI document's paths: the services it describes. */
function servicesIn(text: string): number {
  try {
    const doc = JSON.parse(text) as { paths?: Record<string, unknown> };
    return new Set(Object.keys(doc.paths ?? {}).map((p) => p.split('/')[1])).size;
  } catch {
    return NaN;
  }
}

/**
 * The first event of the dashboard's stream (GET /_/api/events): the bytes of the first
 * blank-line-terminated block that carries data, read within 60 s and 256 MB.
 */
export async function firstEvent(web: string): Promise<Payload> {
  const t0 = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT);
  try {
    const res = await fetch(`http://${web}/_/api/events`, { signal: abort.signal });
    if (!res.body) return { bytes: NaN, ms: NaN, na: `no body (${res.status})` };
    const decoder = new TextDecoder();
    let text = '';
    let from = 0; // where the blank line may start: what was searched holds none
    for await (const chunk of res.body) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      for (;;) {
        const end = text.indexOf('\n\n', from);
        if (end < 0) break;
        const block = text.slice(0, end + 2);
        text = text.slice(end + 2);
        from = 0;
        if (/^data:/m.test(block))
          return { bytes: Buffer.byteLength(block), ms: performance.now() - t0 };
      }
      from = Math.max(0, text.length - 1);
      if (text.length > 256e6) break;
    }
    return { bytes: NaN, ms: NaN, na: 'no event' };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
