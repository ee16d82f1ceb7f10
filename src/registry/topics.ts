// Topics in the registry: the entries the http broker registers for a topic's subscribers, told
// apart from services, and each topic summarized with the services that subscribe to it.
import type { Service } from './registry.ts';

/** Prefix of the entry listing a topic's subscribers, `topic:<topic>` (src/runtime/broker/http.ts). */
export const TOPIC_PREFIX = 'topic:';

/** True when a registry entry of this name lists a topic's subscribers rather than a service. */
export const isTopic = (name: string): boolean => name.startsWith(TOPIC_PREFIX);

/** The topic a `topic:<topic>` entry lists subscribers of. */
export const topicOf = (name: string): string =>
  isTopic(name) ? name.slice(TOPIC_PREFIX.length) : name;

/** The registry's entries without the topics' ones, unless all is set. */
export const servicesOnly = (entries: Service[], all = false): Service[] =>
  all ? entries : entries.filter((s) => !isTopic(s.name));

/** One topic as listed: how many subscribe, in which queue groups, from which services. */
export interface TopicSummary {
  topic: string;
  /**
   * Subscriptions: the nodes the http broker registered for the topic, or, with another broker
   * (which registers none), the nodes of the services subscribing.
   */
  subscribers: number;
  /** Queue groups, each given a message once; subscribers in none get every message. */
  queues: string[];
  /** Services with a subscriber for the topic (their `subscriber` endpoints). */
  services: string[];
}

/** Every topic the entries show, from the http broker's entries and services' subscribers, by name. */
export function summarizeTopics(entries: Service[]): TopicSummary[] {
  const topics = new Map<
    string,
    { entries: number; nodes: number; queues: Set<string>; services: Set<string> }
  >();
  const row = (topic: string) => {
    let r = topics.get(topic);
    if (!r)
      topics.set(topic, (r = { entries: 0, nodes: 0, queues: new Set(), services: new Set() }));
    return r;
  };
  for (const s of entries) {
    if (isTopic(s.name)) {
      const r = row(topicOf(s.name));
      r.entries += s.nodes.length;
      for (const n of s.nodes) if (n.metadata.queue) r.queues.add(n.metadata.queue);
      continue;
    }
    const subscribed = new Set<string>();
    for (const e of s.endpoints) {
      if (e.metadata.subscriber !== 'true') continue;
      const topic = e.metadata.topic ?? e.name;
      const r = row(topic);
      r.services.add(s.name);
      if (e.metadata.queue) r.queues.add(e.metadata.queue);
      // A version's nodes count once per topic, however many of its endpoints subscribe.
      if (!subscribed.has(topic)) r.nodes += s.nodes.length;
      subscribed.add(topic);
    }
  }
  return [...topics]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([topic, r]) => ({
      topic,
      subscribers: r.entries > 0 ? r.entries : r.nodes,
      queues: [...r.queues].sort(),
      services: [...r.services].sort(),
    }));
}
