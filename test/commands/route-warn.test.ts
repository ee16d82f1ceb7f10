// The warnings `micro route` prints after storing a rule whose destinations no running node matches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unreachedWarning } from '../../src/commands/route/warn.ts';
import type { Service } from '../../src/registry/registry.ts';

const version = (v: string, zone: string): Service => ({
  name: 'shop',
  version: v,
  metadata: {},
  endpoints: [],
  nodes: [{ id: `shop-${v}`, address: '127.0.0.1:1', metadata: { zone } }],
});
const running = [version('1.0.0', 'a'), version('2.0.0', 'b')];

describe('micro route warnings', () => {
  it('names a typo’d version, saying its share goes to the other destinations', () => {
    const rule = {
      service: 'shop',
      routes: [
        {
          to: [
            { version: '1.0.0', weight: 90 },
            { version: '2.0.1', weight: 10 },
          ],
        },
      ],
    };
    assert.equal(
      unreachedWarning(rule, running),
      'no node of shop is version 2.0.1 (versions running: 1.0.0, 2.0.0): its share goes to the other destinations',
    );
  });

  it('says the calls fail when no destination of a route has a node, and names mirrors and labels', () => {
    const rule = {
      service: 'shop',
      routes: [
        {
          name: 'beta',
          to: [{ version: '3.0.0' }],
          mirror: { metadata: { zone: 'c' }, percent: 5 },
        },
        { to: [{ version: '2.0.0', metadata: { zone: 'b' } }] },
      ],
    };
    assert.equal(
      unreachedWarning(rule, running),
      'no node of shop is version 3.0.0 or zone=c (versions running: 1.0.0, 2.0.0): the calls route "beta" takes fail with a 503 until one is; the mirror copies nothing',
    );
  });

  it('is silent when every destination has a node', () => {
    const rule = {
      service: 'shop',
      routes: [{ to: [{ version: '1.0.0' }, { metadata: { zone: 'b' } }] }],
    };
    assert.equal(unreachedWarning(rule, running), undefined);
  });
});
