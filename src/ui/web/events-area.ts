// The dashboard's routes to the events area (durable topics, not the registry feed of events.ts):
// GET /_/api/events/topics, /groups and /read (a replay of a topic's range), through the Events
// interface. A page of a replay holds at most MAX_READ events, and an event whose data is longer
// than LIST_VALUE_BYTES as JSON comes with its data cut to a preview and `dataBytes` set, so one
// answer stays small whatever was published.
import type { EventRecord, Events } from '../../platform/events/events.ts';
import {
  LIST_VALUE_BYTES,
  areaGet,
  defined,
  needText,
  optInt,
  optText,
  tooLong,
  type AreaRoute,
} from './area-routes.ts';

/** Events per page of a replay in the dashboard. */
export const MAX_READ = 200;

/** An event as a replay shows it: whole, or with its data cut (`dataBytes` then says how long). */
export type ShownEvent = EventRecord & { dataBytes?: number };

const shown = (e: EventRecord): ShownEvent => {
  const bytes = tooLong(e.data);
  if (bytes === undefined) return e;
  return {
    ...e,
    data: (JSON.stringify(e.data) ?? '').slice(0, LIST_VALUE_BYTES),
    dataBytes: bytes,
  };
};

const TIME = 8.64e15;

/** The events area's routes, by path under /_/api/. */
export const EVENTS_ROUTES: Readonly<Record<string, AreaRoute<Events>>> = {
  'events/topics': areaGet({ prefix: 'text' }, async (events, r) => ({
    topics: await events.topics(optText(r, 'prefix', 255)),
  })),
  'events/groups': areaGet({ topic: 'text' }, async (events, r) => ({
    groups: await events.groups(optText(r, 'topic', 255)),
  })),
  'events/read': areaGet(
    {
      topic: 'text',
      from: 'number',
      to: 'number',
      since: 'number',
      until: 'number',
      limit: 'number',
    },
    async (events, r) => {
      const page = await events.read(
        needText(r, 'topic'),
        defined({
          from: optInt(r, 'from', 0, Number.MAX_SAFE_INTEGER),
          to: optInt(r, 'to', 0, Number.MAX_SAFE_INTEGER),
          since: optInt(r, 'since', 0, TIME),
          until: optInt(r, 'until', 0, TIME),
          limit: optInt(r, 'limit', 1, MAX_READ) ?? 50,
        }),
      );
      return { ...page, events: page.events.map(shown) };
    },
  ),
};
