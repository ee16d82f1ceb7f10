// The events screen: the platform's own events (services up and down, config changes, locks,
// deployments: the micro.* topics) live, newest first, the latest 500, narrowed by text typed after
// `/` (found in the topic, the action, the summary or any name); below them the durable topics
// (offsets, count) and the consumer groups (position, pending, lag, members, dead-lettered), read
// again every few seconds. Read through the Events interface.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Events, GroupInfo, TopicInfo } from '../../platform/events/events.ts';
import type { KeyHint } from './Footer.ts';
import { cell, clipLines, relativeTime, steps } from './layout.ts';
import { MicroError } from '../../runtime/index.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { usePlatformEvents, type ShownLine } from './use-platform-events.ts';
import { useRead } from './use-read.ts';

/** Where the events screen is: its filter, and whether it is being typed. */
export interface EventsPlace {
  filter: string;
  filtering: boolean;
}

/** Keys of the events screen, for the footer. */
export function eventsKeys(place: EventsPlace): KeyHint[] {
  if (place.filtering)
    return [
      ['type', 'filter'],
      ['enter', 'done'],
      ['esc', 'clear'],
    ];
  return [
    ['↑↓/jk', 'scroll'],
    ['/', 'filter'],
    ['esc', 'services'],
    ['tab', 'views'],
    ['q', 'quit'],
  ];
}

/** Rows given to the topics and to the groups, at most. */
const PART_ROWS = 5;

interface Props {
  events: Events | undefined;
  place: EventsPlace;
  onPlace: (place: EventsPlace) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

const clock = (at: number): string => new Date(at).toTimeString().slice(0, 8);

/** The events screen. */
export function EventsView({
  events,
  place,
  onPlace,
  onBack,
  onQuit,
  height,
}: Props): ReactElement {
  const live = usePlatformEvents(events);
  const read = useRead(
    async () => {
      if (!events)
        throw new MicroError(
          'micro.explore',
          501,
          'this explorer was started without the events area',
        );
      const [topics, groups] = await Promise.all([events.topics(), events.groups()]);
      return { topics, groups };
    },
    [events],
    3000,
  );
  const [scroll, setScroll] = useState(0);
  const want = place.filter.toLowerCase();
  const shown = want
    ? live.lines.filter(
        (l) =>
          l.topic.includes(want) ||
          l.action.toLowerCase().includes(want) ||
          l.summary.toLowerCase().includes(want) ||
          l.search.includes(want),
      )
    : live.lines;
  const topics: TopicInfo[] = read.value?.topics ?? [];
  const groups: GroupInfo[] = read.value?.groups ?? [];
  const topicRows = Math.min(PART_ROWS, Math.max(1, topics.length));
  const groupRows = Math.min(PART_ROWS, Math.max(1, groups.length));
  // Title and header of each part, and the rows of the two below.
  const eventRows = Math.max(1, height - 6 - topicRows - groupRows);
  const top = Math.min(scroll, Math.max(0, shown.length - eventRows));
  const latest = useRef({ place, top, count: shown.length });
  latest.current = { place, top, count: shown.length };

  useKeys((input, key) => {
    const now = latest.current.place;
    // Keys typed faster than a render come one after another: each sees the place the last set.
    const go = (place: EventsPlace): void => {
      latest.current.place = place;
      onPlace(place);
    };
    if (now.filtering) {
      if (key.return) return go({ ...now, filtering: false });
      if (key.escape) return go({ filter: '', filtering: false });
      if (key.backspace || key.delete) return go({ ...now, filter: now.filter.slice(0, -1) });
      if (key.ctrl || key.meta || key.tab) return;
      // eslint-disable-next-line no-control-regex
      const typed = input.replace(/[\x00-\x1f\x7f]/g, '');
      if (typed) {
        setScroll(0);
        go({ ...now, filter: now.filter + typed });
      }
      return;
    }
    const by = key.pageDown ? eventRows : key.pageUp ? -eventRows : steps(input, key);
    if (by !== 0) {
      const at = Math.max(0, Math.min(latest.current.count - 1, latest.current.top + by));
      return setScroll((latest.current.top = at));
    }
    if (input === '/') return go({ ...now, filtering: true });
    if (key.escape) return now.filter ? go({ filter: '', filtering: false }) : onBack();
    if (input === 'q') return onQuit();
  });

  const eventLine = (l: ShownLine): string =>
    `${cell(clock(l.time), 10)}${cell(l.topic.replace(/^micro\./, ''), 10)}${cell(l.action, 12)}${l.summary}`;
  const eventLines =
    live.loading && events
      ? ['loading…']
      : shown.length === 0
        ? [want ? `no platform event matches "${place.filter}"` : 'no platform events yet']
        : shown.slice(top, top + eventRows).map(eventLine);
  const topicLines =
    topics.length === 0
      ? [read.loading ? 'loading…' : 'no topic yet']
      : topics.map(
          (t) =>
            `${cell(t.topic, 32)}${cell(t.count ? `${t.first}-${t.last}` : '-', 16)}${cell(String(t.count), 10)}${t.lastTime ? relativeTime(t.lastTime) : '-'}`,
        );
  const groupLines =
    groups.length === 0
      ? [read.loading ? 'loading…' : 'no consumer group yet']
      : groups.map(
          (g) =>
            `${cell(g.topic, 24)}${cell(g.group, 20)}${cell(String(g.position), 10)}${cell(String(g.pending), 9)}${cell(String(g.lag), 8)}${cell(String(g.members), 9)}${g.deadLettered}`,
        );
  const rows = (lines: string[], n: number, key: string) =>
    clipLines(lines, n).map((l, i) => text({ key: `${key}${i}`, wrap: 'truncate-end' }, `  ${l}`));
  const error = live.error ?? read.error;
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, `PLATFORM EVENTS (${shown.length})`)),
      place.filtering || place.filter
        ? text(
            null,
            text({ dimColor: true }, 'filter /'),
            text({ color: 'yellow' }, place.filter),
            place.filtering ? text({ inverse: true }, ' ') : null,
          )
        : null,
      error ? text({ color: 'red', wrap: 'truncate-end' }, error) : null,
    ),
    text(
      { dimColor: true },
      `  ${cell('TIME', 10)}${cell('TOPIC', 10)}${cell('ACTION', 12)}SUMMARY`,
    ),
    ...rows(eventLines, eventRows, 'e'),
    text({ bold: true }, `TOPICS (${topics.length})`),
    text(
      { dimColor: true },
      `  ${cell('TOPIC', 32)}${cell('OFFSETS', 16)}${cell('COUNT', 10)}NEWEST`,
    ),
    ...rows(topicLines, topicRows, 't'),
    text({ bold: true }, `GROUPS (${groups.length})`),
    text(
      { dimColor: true },
      `  ${cell('TOPIC', 24)}${cell('GROUP', 20)}${cell('POSITION', 10)}${cell('PENDING', 9)}${cell('LAG', 8)}${cell('MEMBERS', 9)}DEAD`,
    ),
    ...rows(groupLines, groupRows, 'g'),
  );
}
