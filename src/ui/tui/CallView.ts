// Calling one endpoint: a JSON editor pre-filled from the request schema, and what came back.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Trace } from '../../platform/trace/trace.ts';
import type { Client, Endpoint } from '../../runtime/index.ts';
import { schemaType, skeleton } from '../schema.ts';
import { Editor } from './Editor.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, duration } from './layout.ts';
import { bufferText, editKey, textBuffer } from './text-buffer.ts';
import { useKeys } from './use-keys.ts';
import { callKind, useCall, type CallKind, type CallState } from './use-call.ts';
import { text } from './text.ts';
import { TraceWaterfall, traceRows } from './TraceWaterfall.ts';
import { useLastTrace, type LookOptions } from './use-last-trace.ts';

/** Keys of the call view, for the footer. */
export function callViewKeys(kind: CallKind): KeyHint[] {
  const streaming = kind === 'client' || kind === 'bidi';
  return [
    ['ctrl-s', streaming ? 'send message' : 'send'],
    ...(streaming ? ([['ctrl-e', 'end stream']] as KeyHint[]) : []),
    ['ctrl-u', 'clear'],
    ['esc', 'back'],
    ['ctrl-c', 'quit'],
  ];
}

/** The status line of a call: what it is doing, its code, its time. */
function statusLine(kind: CallKind, s: CallState): { text: string; color?: string } {
  const time = s.ms === undefined ? '' : `  ${duration(s.ms)}`;
  const counts = kind === 'unary' ? '' : `  sent ${s.sent}  received ${s.received}`;
  switch (s.phase) {
    case 'idle':
      return { text: 'not sent yet', color: 'gray' };
    case 'running':
      return {
        text: `${kind === 'unary' ? 'calling…' : 'streaming…'}${counts}${time}`,
        color: 'yellow',
      };
    case 'open':
      return { text: `stream open${counts}${time}`, color: 'yellow' };
    case 'done':
      return {
        text: `200 OK${kind === 'unary' ? '' : '  stream ended'}${counts}${time}${s.node ? `  from ${s.node}` : ''}`,
        color: 'green',
      };
    case 'failed':
      return {
        text: `${s.error?.code ?? 500} ${s.error?.status ?? 'Error'}${counts}${time}`,
        color: 'red',
      };
  }
}

/** The lines of what came back: the body, the messages of a stream, or the error. */
function responseLines(kind: CallKind, s: CallState): string[] {
  const out: string[] = [];
  if (kind === 'unary' || kind === 'client') {
    if (s.body !== undefined) out.push(...JSON.stringify(s.body, null, 2).split('\n'));
  } else {
    for (const m of s.messages) out.push(JSON.stringify(m));
  }
  if (s.error) out.push(s.error.detail);
  return out;
}

interface Props {
  client: Client;
  service: string;
  endpoint: Endpoint;
  onBack: () => void;
  height: number;
  /** Where the last call's trace is looked up; without it none is shown. */
  trace?: Trace;
  /** How the trace is looked for (tests ask more often). */
  look?: LookOptions;
  /** Columns of the screen, for the trace's bars (default 80). */
  width?: number;
}

/** The call view: Ctrl-S sends the editor's JSON; streams show messages as they arrive. */
export function CallView({
  client,
  service,
  endpoint,
  onBack,
  height,
  trace,
  look,
  width = 80,
}: Props): ReactElement {
  const kind = callKind(endpoint.metadata);
  const [buffer, setBuffer] = useState(() =>
    textBuffer(JSON.stringify(skeleton(endpoint.request), null, 2)),
  );
  const [invalid, setInvalid] = useState<string | undefined>(undefined);
  const call = useCall(client, service, endpoint.name, kind);
  const last = useLastTrace(trace, service, endpoint.name, call.state, look);

  // The text as of the last key, which may be newer than this render's.
  const latest = useRef(buffer);
  latest.current = buffer;
  useKeys((input, key) => {
    if (key.escape) return onBack();
    if (key.ctrl && input === 's') {
      let request: unknown;
      try {
        const text = bufferText(latest.current).trim();
        request = text === '' ? {} : JSON.parse(text);
      } catch (err) {
        return setInvalid(`not JSON: ${(err as Error).message}`);
      }
      setInvalid(undefined);
      return call.send(request);
    }
    if (key.ctrl && input === 'e') return call.end();
    const next = editKey(latest.current, input, key);
    if (next) {
      latest.current = next;
      setBuffer(next);
      if (invalid) setInvalid(undefined);
    }
  });

  const request = schemaType(endpoint.request, '  ');
  const response = schemaType(endpoint.response, '  ');
  const status = statusLine(kind, call.state);
  // Rows: the title, the two schema lines, the editor (text, its title and border), the status.
  const editorRows = Math.max(3, Math.min(buffer.lines.length, Math.floor(height / 2) - 4));
  // The last call's trace takes up to a third of the screen below the response.
  const traceHeight = Math.min(traceRows(last), Math.max(2, Math.floor(height / 3)));
  const bodyRows = Math.max(1, height - editorRows - 3 - 5 - traceHeight);
  const lines = responseLines(kind, call.state);
  // A stream shows its latest messages; a response shows its beginning.
  const shown =
    kind === 'unary' || kind === 'client' ? clipLines(lines, bodyRows) : lines.slice(-bodyRows);

  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    text(
      { wrap: 'truncate-end' },
      text({ bold: true }, `${service} › ${endpoint.name}`),
      text({ dimColor: true }, `  ${kind === 'unary' ? 'request/response' : `${kind} stream`}`),
    ),
    text(
      { wrap: 'truncate-end' },
      text({ dimColor: true }, 'request   '),
      request.replace(/\n\s*/g, ' '),
    ),
    text(
      { wrap: 'truncate-end' },
      text({ dimColor: true }, 'response  '),
      response.replace(/\n\s*/g, ' '),
    ),
    h(Editor, {
      buffer,
      title: kind === 'client' || kind === 'bidi' ? 'message (JSON)' : 'request (JSON)',
      rows: editorRows,
      focused: true,
    }),
    invalid
      ? text({ color: 'red', wrap: 'truncate-end' }, invalid)
      : text(
          { wrap: 'truncate-end' },
          text({ bold: true }, kind === 'unary' || kind === 'client' ? 'RESPONSE  ' : 'MESSAGES  '),
          text({ color: status.color }, status.text),
        ),
    ...shown.map((l, i) => text({ key: i, wrap: 'truncate-end' }, l)),
    h(TraceWaterfall, { last, rows: traceHeight, width }),
  );
}
