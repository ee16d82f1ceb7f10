// Hostile input on the sidecar's Dapr paths: each gets a clear 400 (or 413) in both error shapes,
// naming what is wrong, and nothing is stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaprBench, type DaprBench } from './dapr-fixture.ts';

interface Refusal {
  status: number;
  code: number;
  errorCode?: string;
  detail: string;
}

describe("the sidecar's Dapr paths refuse bad input", () => {
  let b: DaprBench;
  before(async () => {
    b = await startDaprBench();
  });
  after(() => b.close());

  const refusal = async (res: Response): Promise<Refusal> => {
    const body = (await res.json()) as Refusal;
    return { ...body, status: res.status };
  };
  const refused = async (res: Promise<Response>, detail: RegExp, status = 400) => {
    const r = await refusal(await res);
    assert.equal(r.status, status, r.detail);
    assert.equal(r.code, status);
    assert.match(r.detail, detail);
    return r;
  };

  it('refuses malformed state saves, naming the field, and stores nothing', async () => {
    const save = (body: unknown, query = '') => b.dapr('POST', `/v1.0/state/evil${query}`, body);
    const r = await refused(save({ key: 'a', value: 1 }), /the body must be an array/);
    assert.equal(r.errorCode, 'ERR_MALFORMED_REQUEST');
    await refused(save([{ key: 5, value: 1 }]), /\[0\]\.key must be a non-empty string/);
    await refused(save([{ key: 'a' }]), /\[0\]\.value is required/);
    await refused(save([{ key: 'a', value: 1, etag: 7 }]), /\[0\]\.etag must be a string/);
    await refused(save([{ key: 'a', value: 1, vaule: 2 }]), /unknown field "vaule"/);
    await refused(save([{ key: 'a||b', value: 1 }]), /reserved by Dapr/);
    await refused(
      save([{ key: 'a', value: 1, options: { concurrency: 'sometimes' } }]),
      /concurrency must be first-write or last-write/,
    );
    await refused(save([{ key: 'a', value: 1 }], '?metadata.ttlInSeconds=abc'), /ttlInSeconds/);
    await refused(save([{ key: 'a', value: 1 }], '?metadata.ttlInSeconds=0'), /ttlInSeconds/);
    await refused(
      save([{ key: 'a', value: 1, metadata: { ttlInSeconds: 5 } }]),
      /metadata\.ttlInSeconds must be a string/,
    );
    const many = Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, value: i }));
    await refused(save(many), /at most 1000 items/);
    await refused(save([{ key: 'k'.repeat(10_000), value: 1 }]), /key/);
    await refused(save([{ key: 'a\u0000b', value: 1 }]), /key/);
    await refused(save('['.repeat(300) + ']'.repeat(300)), /nested deeper than 256/);
    await refused(
      b.dapr('POST', '/v1.0/state/evil', 'key=a', { 'content-type': 'text/plain' }),
      /must be an array/,
    );
    await refused(save([{ key: 'big', value: 'x'.repeat(300 * 1024) }]), /body|large/i, 413);
    // The sidecar's guard holds on the Dapr paths too: a web page of another site is refused.
    await refused(
      b.dapr('POST', '/v1.0/state/evil', [{ key: 'a', value: 1 }], {
        origin: 'https://evil.example',
      }),
      /may not use the sidecar/,
      403,
    );
    // Two good items with one bad: the whole save is refused.
    await refused(save([{ key: 'ok', value: 1 }, { key: '' }]), /\[1\]\.key/);
    assert.deepEqual((await b.store.list({ database: 'orders', table: 'evil' })).entries, []);
  });

  it('refuses bad store names, bulk gets, transactions and deletes', async () => {
    await refused(b.dapr('GET', '/v1.0/state/bad%20name/k'), /state store name must be/);
    await refused(b.dapr('GET', `/v1.0/state/${'s'.repeat(129)}/k`), /state store name must be/);
    // Keys as long as the store takes fit in the path; past that, the store refuses them.
    assert.equal((await b.dapr('GET', `/v1.0/state/evil/${'k'.repeat(1024)}`)).status, 204);
    await refused(b.dapr('GET', `/v1.0/state/evil/${'k'.repeat(1025)}`), /key/);
    await refused(
      b.dapr('GET', `/v1.0/state/evil/${'k'.repeat(5000)}`),
      /^'\/v1\.0\/state\/evil\/k+/,
      414,
    );
    await refused(b.dapr('POST', '/v1.0/state/evil/bulk', { keys: 'a' }), /keys must be an array/);
    await refused(b.dapr('POST', '/v1.0/state/evil/bulk', { keys: [1] }), /keys\[0\]/);
    await refused(
      b.dapr('POST', '/v1.0/state/evil/bulk', { keys: [], parallelism: 'x' }),
      /parallelism/,
    );
    const tx = (body: unknown) => b.dapr('POST', '/v1.0/state/evil/transaction', body);
    await refused(tx({ operations: {} }), /operations must be an array/);
    await refused(
      tx({ operations: [{ operation: 'merge', request: { key: 'a', value: 1 } }] }),
      /operations\[0\]\.operation must be upsert or delete/,
    );
    await refused(
      tx({
        operations: [
          { operation: 'upsert', request: { key: 'a', value: 1 } },
          { operation: 'delete', request: {} },
        ],
      }),
      /operations\[1\]\.request\.key/,
    );
    await refused(
      b.dapr('DELETE', '/v1.0/state/evil/a?concurrency=always'),
      /concurrency must be first-write or last-write/,
    );
    assert.deepEqual((await b.store.list({ database: 'orders', table: 'evil' })).entries, []);
  });

  it('refuses an invoke naming no app with a 400, not a failed lookup', async () => {
    const r = await refused(
      b.dapr('GET', '/v1.0/invoke//method/greeter'),
      /app id must not be empty/,
    );
    assert.equal(r.errorCode, 'ERR_MALFORMED_REQUEST');
  });

  it('refuses bad lock and configuration requests', async () => {
    const lock = (body: unknown) => b.dapr('POST', '/v1.0-alpha1/lock/locks', body);
    const good = { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 10 };
    for (const expiryInSeconds of [0, -1, 1.5, 'abc', null, 10 ** 9])
      await refused(lock({ ...good, expiryInSeconds }), /expiryInSeconds must be a whole number/);
    await refused(lock({ ...good, lockOwner: undefined }), /lockOwner must be a non-empty string/);
    await refused(lock([good]), /the body must be an object/);
    await refused(lock({ ...good, owner: 'x' }), /unknown field "owner"/);
    await refused(lock({ ...good, resourceId: 'r'.repeat(2000) }), /resourceId must be at most/);
    assert.deepEqual(await b.sync.locks({ prefix: 'locks/' }), []);

    await refused(b.dapr('GET', '/v1.0/configuration/configstore?key='), /key\[0\]/);
    const keys = Array.from({ length: 101 }, (_, i) => `key=k${i}`).join('&');
    await refused(b.dapr('GET', `/v1.0/configuration/configstore?${keys}`), /at most 100 key/);
    const bad = await refused(
      b.dapr('GET', '/v1.0/configuration/configstore?key=a%20b'),
      /a b|path/,
    );
    assert.equal(bad.errorCode, 'ERR_CONFIGURATION_GET');
    await refused(
      b.dapr('PUT', '/v1.0/metadata/attr', { not: 'text' }),
      /send the attribute's value as text\/plain/,
    );
  });
});
