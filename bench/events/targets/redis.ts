// Redis streams used directly, the raw limit: ioredis XADD of the event as JSON on one connection
// (default settings, publishes in flight pipelined on it), and a consumer group read with
// XREADGROUP (COUNT maxInFlight) whose entries are decoded and acknowledged with one XACK a batch,
// sent without waiting before the next read.
import type { EventsClient, EventsTarget } from '../target.ts';

/** A stream entry as ioredis gives it: its id and its field-value list. */
type Entry = [id: string, fields: string[]];

/** ioredis against the bench's redis-server. */
export const redis: EventsTarget = {
  async connect(address) {
    const { Redis } = await import('ioredis');
    const [host, port] = address.split(':');
    const open = async () => {
      const c = new Redis({ host, port: Number(port), lazyConnect: true });
      await c.connect();
      return c;
    };
    const pub = await open();
    // Blocking reads get a connection of their own, as with any Redis client.
    const sub = await open();
    return {
      async publish(topic, data) {
        await pub.xadd(topic, '*', 'd', JSON.stringify(data));
      },
      async consume(topic, group, count, maxInFlight, signal) {
        await sub.xgroup('CREATE', topic, group, '0', 'MKSTREAM').catch((err: Error) => {
          if (!err.message.includes('BUSYGROUP')) throw err;
        });
        const acks: Promise<unknown>[] = [];
        let seen = 0;
        while (seen < count) {
          if (signal.aborted) throw new Error(`consumed ${seen} of ${count} before the time bound`);
          const reply = (await sub.xreadgroup(
            'GROUP',
            group,
            'c1',
            'COUNT',
            maxInFlight,
            'BLOCK',
            1000,
            'STREAMS',
            topic,
            '>',
          )) as [string, Entry[]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          for (const [, fields] of entries) JSON.parse(fields[1] ?? 'null');
          if (entries.length > 0) acks.push(pub.xack(topic, group, ...entries.map(([id]) => id)));
          seen += entries.length;
        }
        await Promise.all(acks);
      },
      async close() {
        await Promise.all([pub.quit(), sub.quit()]);
      },
    } satisfies EventsClient;
  },
};
