import { createMicroTrace } from '../../../src/platform/trace/client.ts';
import type { Trace } from '../../../src/platform/trace/trace.ts';
import { runTraceCases } from '../../conformance/trace.case.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';

// A real control plane: the trace service over SQLite in its micro.db, called over RPC. A case
// that needs its own bounds gets a control plane of its own, started with them in its environment.
const address = serverForTests(() => startTestControlPlane('micro-trace-'));

runTraceCases('micro', async (bounds) => {
  if (!bounds) return createMicroTrace({ address: address() });
  const cp = await startTestControlPlane('micro-trace-bounds-', {
    env: {
      ...(bounds.keep !== undefined && { MICRO_TRACE_KEEP: String(bounds.keep) }),
      ...(bounds.maxAge !== undefined && { MICRO_TRACE_MAX_AGE: String(bounds.maxAge) }),
    },
  });
  const trace = createMicroTrace({ address: cp.address });
  return {
    ...trace,
    async close() {
      await trace.close();
      await cp.stop();
    },
  } satisfies Trace;
});
