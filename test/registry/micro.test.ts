import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import { runRegistryCases } from '../conformance/registry.case.ts';
import { startTestControlPlane } from '../helpers/control-plane.ts';
import { serverForTests } from '../helpers/lifecycle.ts';

// The control plane in this process on a free port, its client talking to it over real sockets.
const address = serverForTests(() => startTestControlPlane('micro-cp-'));

runRegistryCases(
  'micro (control plane)',
  (o) => createMicroRegistry({ address: address(), ...o }),
  {
    settle: 1500,
    engine: {
      where: 'the registry',
      address,
      connect: createMicroRegistry,
      advice: /micro run/,
      flag: 'micro',
    },
  },
);

describe('micro registry client', () => {
  it('lists the control plane itself as the registry service', async () => {
    const r = createMicroRegistry({ address: address() });
    const [svc] = await r.getService('registry');
    assert.ok(
      svc?.endpoints.some((e) => e.name === 'Registry.Watch' && e.metadata.stream === 'server'),
    );
    await r.close();
  });
});
