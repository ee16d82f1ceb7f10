import { checkTopic, type Broker, type BrokerHandler, type BrokerMessage } from './broker.ts';

interface Sub {
  handler: BrokerHandler;
  queue: string | undefined;
}

/** Delivers within one process; at most once, no persistence. For tests and single-process programs. */
export function createMemoryBroker(): Broker {
  const topics = new Map<string, Set<Sub>>();
  let nextIndex = 0;
  const deliver = (topic: string, sub: Sub, message: BrokerMessage): Promise<void> =>
    Promise.resolve()
      .then(() =>
        sub.handler({
          topic,
          message: { header: { ...message.header }, body: Buffer.from(message.body) },
          ack: async () => {},
        }),
      )
      .catch(() => undefined);
  return {
    name: 'memory',
    address: 'memory',
    async connect() {},
    async disconnect() {
      topics.clear();
    },
    async publish(topic, message) {
      checkTopic(topic);
      const subs = [...(topics.get(topic) ?? [])];
      const groups = new Map<string, Sub[]>();
      const work: Promise<void>[] = [];
      for (const s of subs) {
        if (s.queue === undefined) work.push(deliver(topic, s, message));
        else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
      }
      for (const members of groups.values()) {
        const pick = members[nextIndex++ % members.length];
        if (pick) work.push(deliver(topic, pick, message));
      }
      await Promise.all(work);
    },
    async subscribe(topic, handler, options = {}) {
      checkTopic(topic);
      const sub: Sub = { handler, queue: options.queue };
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      set.add(sub);
      return {
        topic,
        queue: options.queue,
        unsubscribe: async () => void topics.get(topic)?.delete(sub),
      };
    },
  };
}
