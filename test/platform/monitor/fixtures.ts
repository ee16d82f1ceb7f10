// The monitor suite's fixture over a tracker fed directly (memory, SQLite): each set is one probe
// whose answer is healthy or unhealthy, one ms after the previous.
import type { MonitorFixture } from '../../conformance/monitor.case.ts';
import type { Monitor } from '../../../src/platform/monitor/monitor.ts';
import type { ProbeResult } from '../../../src/platform/monitor/tracker.ts';

/** A fixture over `monitor`, fed through `observe`. */
export function fedFixture(
  monitor: Monitor & { observe(p: ProbeResult): unknown },
  keep: number,
  close: () => Promise<void> = () => monitor.close(),
): MonitorFixture {
  let clock = Date.now();
  return {
    monitor,
    keep,
    async set(service, index, to) {
      const node = `${service}-${index}`;
      const failing = to === 'unhealthy';
      monitor.observe({
        service,
        version: '1.0.0',
        node,
        address: `127.0.0.1:${4000 + index}`,
        health: {
          status: failing ? 'unhealthy' : 'ok',
          checks: [
            {
              name: 'db',
              status: failing ? 'failing' : 'ok',
              critical: true,
              ...(failing && { detail: 'down' }),
              ms: 1,
              checked: clock,
            },
          ],
        },
        ms: 1,
        checked: ++clock,
      });
      return node;
    },
    close,
  };
}
