import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createMemoryConfig } from '../../../src/platform/config/memory.ts';
import {
  createRoutes,
  ROUTE_LIMITS,
  type TrafficRule,
} from '../../../src/platform/routing/index.ts';
import { runRoutingCases } from '../../conformance/routing.case.ts';

// One memory config shared by every Routes the suite makes (two clients of one store).
const config = createMemoryConfig();
runRoutingCases('memory config', (namespace) => createRoutes({ config, namespace }));

it(`refuses a rule for a service past ${ROUTE_LIMITS.services} with a 400, and skips hand-edited junk`, async () => {
  const namespace = 'routes-limit';
  const rule = (service: string): TrafficRule => ({
    service,
    routes: [{ to: [{ version: '1' }] }],
  });
  const tree = Object.fromEntries(
    Array.from({ length: ROUTE_LIMITS.services }, (_, i) => [`s${i}`, rule(`s${i}`)]),
  );
  await config.set(
    '',
    { ...tree, junk: { service: 'junk', routes: 'none' }, other: rule('s1') },
    { namespace },
  );
  const routes = createRoutes({ config, namespace });
  await config.delete('junk', { namespace });
  await config.delete('other', { namespace });
  await assert.rejects(routes.set(rule('one-more')), (e: { code: number; detail: string }) => {
    assert.equal(e.code, 400);
    assert.match(e.detail, /^rule\.service: 1000 services have a rule already/);
    return true;
  });
  await routes.set({ ...rule('s7'), routes: [{ to: [{ version: '2' }] }] });
  assert.equal((await routes.get('s7'))?.routes[0]?.to[0]?.version, '2');
  await config.set('junk', { service: 'junk', routes: 'none' }, { namespace });
  assert.equal(await routes.get('junk'), undefined);
  assert.equal((await routes.list()).length, ROUTE_LIMITS.services);
});
