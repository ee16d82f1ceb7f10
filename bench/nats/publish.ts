// Publish latency through micro's NATS broker: one publish at a time, from one connection to
// subscribers on another, through the bench's nats-server, beside the nats package's nc.request()
// to one responder (the floor: one message out, one answer back). A publish resolves once the
// subscribers it expects answered, so its latency should stay near the floor's.
import type { NatsConnection } from 'nats';
import { createNatsBroker } from '../../src/runtime/broker/nats.ts';
import type { Broker } from '../../src/runtime/broker/broker.ts';
import { packageVersion } from '../lib/report.ts';
import { fmt, median, quantile, table } from '../lib/stats.ts';

/** One row: how it is set up, and one timed operation. */
interface Case {
  label: string;
  once(): Promise<void>;
}

const body = Buffer.from(JSON.stringify({ id: 7, status: 'paid' }));

/** Times `count` sequential runs of each case, in `rounds` interleaved rounds, and prints a table. */
export async function publishLatency(address: string, rounds = 3, count = 1000): Promise<void> {
  const { connect } = await import('nats');
  const pub = createNatsBroker({ address });
  const sub = createNatsBroker({ address });
  const brokers: Broker[] = [pub, sub];
  const raw: NatsConnection[] = [await connect({ servers: address })];
  const responder = await connect({ servers: address });
  raw.push(responder);
  try {
    await pub.connect();
    await sub.connect();
    await sub.subscribe('bench.one', () => undefined);
    await sub.subscribe('bench.two', () => undefined);
    await sub.subscribe('bench.two', () => undefined, { queue: 'workers' });
    responder.subscribe('bench.echo', { callback: (_e, m) => m.respond() });
    await responder.flush();
    const requester = raw[0]!;
    const cases: Case[] = [
      { label: 'micro nats broker, no subscriber', once: () => pub.publish('bench.none', msg()) },
      { label: 'micro nats broker, 1 subscriber', once: () => pub.publish('bench.one', msg()) },
      {
        label: 'micro nats broker, 1 subscriber + 1 queue group',
        once: () => pub.publish('bench.two', msg()),
      },
      {
        label: `floor: nats ${packageVersion('nats')} nc.request(), 1 responder`,
        once: async () => void (await requester.request('bench.echo', body)),
      },
    ];
    const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
    for (const c of cases) for (let i = 0; i < 100; i++) await c.once(); // warm-up
    for (let r = 0; r < rounds; r++)
      for (const c of cases)
        for (let i = 0; i < count; i++) {
          const t0 = performance.now();
          await c.once();
          times.get(c.label)?.push(performance.now() - t0);
        }
    const rows = cases.map((c) => {
      const t = times.get(c.label) ?? [];
      return [c.label, fmt(median(t), 3), fmt(quantile(t, 0.99), 3), fmt(1000 / median(t))];
    });
    console.log(
      `\nPublish latency: one at a time, ${rounds} x ${count} each, interleaved by round.\n`,
    );
    console.log(table(['publish', 'p50 ms', 'p99 ms', 'publishes/s at p50'], rows));
  } finally {
    for (const b of brokers) await b.disconnect();
    for (const c of raw) await c.close();
  }
}

const msg = () => ({ header: { 'content-type': 'application/json' }, body });
