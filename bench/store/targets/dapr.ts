// Dapr's state API over HTTP through `micro sidecar`, as a Dapr app calls it: `POST
// /v1.0/state/{store}` with `[{key, value}]` and `GET /v1.0/state/{store}/{key}`, from an undici
// Pool of 10 connections (keep-alive). The store name is BENCH_DAPR_STORE (default `statestore`,
// the name Dapr's quickstarts use).
import type { StoreClient, StoreTarget } from '../target.ts';

/** undici against the bench's sidecar. */
export const dapr: StoreTarget = {
  async connect(address) {
    const { Pool } = await import('undici');
    const pool = new Pool(`http://${address}`, { connections: 10, pipelining: 1 });
    const base = `/v1.0/state/${encodeURIComponent(process.env.BENCH_DAPR_STORE || 'statestore')}`;
    const fail = async (what: string, status: number, body: { text(): Promise<string> }) =>
      new Error(`${what}: HTTP ${status} ${(await body.text()).slice(0, 200)}`);
    return {
      async get(key) {
        const { statusCode, body } = await pool.request({
          method: 'GET',
          path: `${base}/${encodeURIComponent(key)}`,
        });
        if (statusCode !== 200) throw await fail(`GET ${key}`, statusCode, body);
        return body.json();
      },
      async put(key, value) {
        const { statusCode, body } = await pool.request({
          method: 'POST',
          path: base,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ key, value }]),
        });
        if (statusCode !== 204 && statusCode !== 200)
          throw await fail(`POST ${key}`, statusCode, body);
        await body.dump();
      },
      close: () => pool.close(),
    } satisfies StoreClient;
  },
};
