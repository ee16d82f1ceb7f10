// An Answer as the text of one reply on a medium. Slack style: prose as it is, JSON, tables and code
// in ``` blocks, `&`, `<` and `>` escaped as Slack's mrkdwn requires (so no remote text can mention
// @channel or forge a link); plain style (XMPP, the terminal): the same without the fences or
// escapes. Errors are one line: `error 404 (micro.registry): service greeter not found`.
//
// Guarantees: every string of the answer goes through printable(), so no control character from a
// service reaches a chat client or a terminal; the reply is at most medium.maxLength characters: a
// longer one is cut (at a line break when one is near) and ends with a note saying how much was
// left out, an open code block closed first. Limits: tables are aligned for a fixed-width font.
import { printable, printableJson } from '../registry/printable.ts';
import { table } from '../ui/table.ts';
import type { Answer, Medium, Part } from './bot.ts';

const FENCE = '```';

/** Slack's three escapes (its docs: "Escaping text"), and a fence inside a block broken up. */
const slackEscape = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The one-line form of an error part. */
function errorLine(part: Extract<Part, { kind: 'error' }>): string {
  const { id, code, detail } = part.error;
  return `error ${code} (${printable(id, false)}): ${printable(detail.replace(/\s*\r?\n\s*/g, ' '), false)}`;
}

/** One part's text, before the medium's escapes: `block` when it goes in a code block. */
function partText(part: Part): { text: string; block: boolean } {
  switch (part.kind) {
    case 'text':
      return { text: printable(part.text), block: false };
    case 'json':
      return {
        text: printableJson(JSON.stringify(part.value, null, 2) ?? 'undefined'),
        block: true,
      };
    case 'table':
      return { text: table(part.header, part.rows), block: true };
    case 'code':
      return { text: printable(part.text), block: true };
    case 'error':
      return { text: errorLine(part), block: false };
  }
}

/** The answer as the text of one reply on the medium, cut to its length with a note. */
export function formatAnswer(answer: Answer, medium: Medium): string {
  const slack = medium.style === 'slack';
  const text = answer
    .map((part) => {
      const { text, block } = partText(part);
      if (!slack) return text;
      const escaped = slackEscape(text);
      // A fence inside a block would end it early: a zero-width space breaks it up.
      return block ? `${FENCE}\n${escaped.replaceAll(FENCE, '``\u200b`')}\n${FENCE}` : escaped;
    })
    .join('\n');
  return cut(text, medium.maxLength, slack);
}

/** The note a cut reply ends with. */
const note = (more: number): string =>
  `… (cut: ${more.toLocaleString('en-US')} more characters; use the CLI for the whole answer)`;

/** The text at most max characters long: cut with the note when longer. */
function cut(text: string, max: number, slack: boolean): string {
  if (text.length <= max) return text;
  // Room for the note (its count has at most as many digits as the text's length) and a fence.
  const room = Math.max(0, max - note(text.length).length - (slack ? FENCE.length + 2 : 1));
  let end = room;
  const line = text.lastIndexOf('\n', end);
  if (line > room * 0.8) end = line;
  // Never half a surrogate pair, nor half of an `&amp;`.
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end--;
  const amp = text.lastIndexOf('&', end);
  if (slack && amp > end - 5 && !text.slice(amp, end).includes(';')) end = amp;
  let kept = text.slice(0, end).trimEnd();
  if (slack && (kept.split(FENCE).length - 1) % 2 === 1) kept += `\n${FENCE}`;
  const out = `${kept}\n${note(text.length - end)}`;
  return out.length <= max ? out : out.slice(0, max);
}
