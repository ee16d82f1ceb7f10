// The topics screen: every topic subscribed to, with its subscribers, queue groups and the
// services subscribing, updated live.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Registry } from '../../runtime/index.ts';
import type { KeyHint } from './Footer.ts';
import { steps, visibleRange } from './layout.ts';
import { useKeys } from './use-keys.ts';
import { listStatus, useTopics } from './use-registry.ts';
import { listRow, text } from './text.ts';

/** Keys of the topics list, for the footer. */
export const topicListKeys: KeyHint[] = [
  ['↑↓/jk', 'move'],
  ['s/esc', 'services'],
  ['q', 'quit'],
];

interface Props {
  registry: Registry;
  onServices: () => void;
  onQuit: () => void;
  /** Rows this screen may use. */
  height: number;
}

/** The topics list: TOPIC, SUBSCRIBERS, QUEUES, SERVICES. */
export function TopicList({ registry, onServices, onQuit, height }: Props): ReactElement {
  const topics = useTopics(registry);
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
  // Rows for the list itself: minus the title, the header and a status line.
  const { start, end } = visibleRange(all.length, at, height - 3);
  const status = listStatus(
    topics,
    'no topic has subscribers yet: a service subscribes with service.subscribe(topic, fn)',
  );

  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, `TOPICS (${all.length})`)),
      topics.error ? text({ color: 'red', wrap: 'truncate-end' }, topics.error) : null,
    ),
    text({ dimColor: true }, `  ${row(['TOPIC', 'SUBSCRIBERS', 'QUEUES', 'SERVICES'])}`),
    ...all
      .slice(start, end)
      .map((t, i) =>
        listRow(
          t.topic,
          start + i === at,
          row([t.topic, String(t.subscribers), or(t.queues), or(t.services)]),
        ),
      ),
    status ? text({ dimColor: true }, status) : null,
  );
}
