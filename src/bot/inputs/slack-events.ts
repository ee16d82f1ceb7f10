// What the Slack input reads of the Events API: which events are commands for the bot (app
// mentions, direct messages from people) and their text as the user typed it. Pure functions, and
// a bounded memory of the events already handled (Slack redelivers an event it thinks was missed).
import type { Message } from '../bot.ts';

/** The fields of a Slack `app_mention` or `message` event the input reads; anything else is ignored. */
export interface SlackEvent {
  type?: unknown;
  subtype?: unknown;
  user?: unknown;
  bot_id?: unknown;
  text?: unknown;
  channel?: unknown;
  channel_type?: unknown;
  ts?: unknown;
  thread_ts?: unknown;
}

/** Characters of an event's text read at most (Slack's own limit is 40,000). */
const MAX_TEXT = 40_000;

/** A Slack id (user, channel) or a message ts: short, and only letters, digits and dots. */
const ID = /^[A-Za-z0-9.]{1,40}$/;

/**
 * The message an event asks the bot to handle, or undefined: an `app_mention`, or a `message` in a
 * direct message channel, written by a person (no bot_id, no subtype: edits, joins and bot posts
 * have one) other than the bot itself (`self`, its user id).
 */
export function messageOf(event: SlackEvent, self: string): Message | undefined {
  const { type, user, channel, text, ts } = event;
  if (type !== 'app_mention' && !(type === 'message' && event.channel_type === 'im'))
    return undefined;
  if (event.subtype !== undefined || event.bot_id !== undefined) return undefined;
  if (typeof user !== 'string' || !ID.test(user) || user === self) return undefined;
  if (typeof channel !== 'string' || !ID.test(channel) || typeof ts !== 'string' || !ID.test(ts)) {
    return undefined;
  }
  if (typeof text !== 'string') return undefined;
  const thread =
    typeof event.thread_ts === 'string' && ID.test(event.thread_ts) ? event.thread_ts : undefined;
  return {
    user: { input: 'slack', id: user },
    text: plainText(text.slice(0, MAX_TEXT), self),
    room: channel,
    ...(thread && { thread }),
  };
}

/**
 * The text as the user typed it: the leading mention of the bot taken off, Slack's links
 * (`<https://a.io|a.io>`) back to what was typed, `&amp;` `&lt;` `&gt;` decoded, and the curly
 * quotes Slack's clients may put in (which would break JSON arguments) made straight. Trimmed.
 */
export function plainText(text: string, self: string): string {
  const id = self.replace(/[^A-Za-z0-9]/g, '') || '[UW][A-Z0-9]+';
  const mention = new RegExp(`^\\s*<@${id}(?:\\|[^>]*)?>:?`);
  return text
    .replace(mention, '')
    .replace(
      /<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>/g,
      (_, url: string, label?: string) => label ?? url,
    )
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[\u201c\u201d\u201e\u201f]/g, '"')
    .replace(/[\u2018\u2019\u201a\u201b]/g, "'")
    .trim();
}

/** The events handled lately, by event id and by channel + ts; the oldest forgotten past `max`. */
export class Seen {
  private readonly keys = new Set<string>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }

  /** Whether the event was seen already; remembers it when not. */
  again(eventId: string | undefined, event: SlackEvent): boolean {
    const keys = [
      ...(typeof eventId === 'string' ? [`id:${eventId}`] : []),
      ...(typeof event.ts === 'string' ? [`ts:${String(event.channel)}:${event.ts}`] : []),
    ];
    if (keys.some((k) => this.keys.has(k))) return true;
    for (const k of keys) {
      this.keys.add(k);
      if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    }
    return false;
  }
}
