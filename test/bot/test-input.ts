// An input driven by a test: say() delivers a message as a chat user would and resolves with the
// bot's reply to it (matched by a thread id of its own), so a test reads what the user would see.
import type { Input, Medium, Message } from '../../src/bot/bot.ts';

/** An Input whose say(text, user) resolves with the reply; `medium` defaults to Slack's. */
export function testInput(
  name = 'test',
  medium: Medium = { style: 'slack', maxLength: 3_900 },
): Input & { say(text: string, user?: string): Promise<string> } {
  let handle: ((m: Message) => void) | undefined;
  const waiting = new Map<string, (text: string) => void>();
  let n = 0;
  return {
    name,
    medium,
    start: async (h) => void (handle = h),
    async reply(to, text) {
      waiting.get(to.thread ?? '')?.(text);
    },
    stop: async () => void (handle = undefined),
    say(text, user = 'alice') {
      const thread = String(++n);
      const replied = new Promise<string>((resolve) => waiting.set(thread, resolve));
      handle!({ user: { input: name, id: user }, text, room: 'C1', thread });
      return replied;
    },
  };
}
