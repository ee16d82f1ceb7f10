// The topics screen: every topic subscribed to, with its subscribers, queue groups and the
// services subscribing, updated live.
import { useRef, useState, type ReactElement } from 'react';
import type { KeyHint } from './Footer.ts';
import { steps } from './layout.ts';
import { listView } from './ListView.ts';
import { useKeys } from './use-keys.ts';
import type { LiveSource } from './live-registry.ts';
import { useLive } from './use-registry.ts';
import { listStatus } from './watched.ts';

/** Keys of the topics list, for the footer. */
export const topicListKeys: KeyHint[] = [
  ['↑↓/jk', 'move'],
  ['s/esc', 'services'],
  ['tab', 'views'],
  ['q', 'quit'],
];

interface Props {
  /** The topics, kept current. */
  live: LiveSource;
  onServices: () => void;
  onQuit: () => void;
  /** Rows this screen may use. */
  height: number;
}

/** The topics list: TOPIC, SUBSCRIBERS, QUEUES, SERVICES. */
export function TopicList({ live, onServices, onQuit, height }: Props): ReactElement {
  const { topics } = useLive(live);
  const all = topics.value ?? [];
  const [cursor, setCursor] = useState(0);
  const at = Math.min(cursor, Math.max(0, all.length - 1));
  // The cursor as of the last key, which may be newer than this render's.
  const latest = useRef(at);
  latest.current = at;
  useKeys((input, key) => {
    const step = steps(input, key);
    if (step !== 0 || key.pageUp || key.pageDown) {
      const by = key.pageUp ? -height : key.pageDown ? height : step;
      latest.current = Math.max(0, Math.min(all.length - 1, latest.current + by));
      return setCursor(latest.current);
    }
    if (key.escape || input === 's') return onServices();
    if (input === 'q') return onQuit();
  });

  const or = (list: string[]): string => (list.length > 0 ? list.join(', ') : '-');
  const topicWidth = Math.max(5, ...all.map((t) => t.topic.length)) + 2;
  const queueWidth = Math.max(6, ...all.map((t) => or(t.queues).length)) + 2;
  const row = (cells: [string, string, string, string]): string =>
    `${cells[0].padEnd(topicWidth)}${cells[1].padEnd(13)}${cells[2].padEnd(queueWidth)}${cells[3]}`;
  const status = listStatus(
    topics,
    'no topic has subscribers yet: a service subscribes with service.subscribe(topic, fn)',
  );

  return listView({
    height,
    title: `TOPICS (${all.length})`,
    error: topics.error,
    header: row(['TOPIC', 'SUBSCRIBERS', 'QUEUES', 'SERVICES']),
    items: all,
    cursor: at,
    keyOf: (t) => t.topic,
    line: (t) => row([t.topic, String(t.subscribers), or(t.queues), or(t.services)]),
    status,
  });
}
