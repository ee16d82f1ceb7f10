// One service: its versions, its nodes with their health, and its endpoints with their schemas.
import { Box } from 'ink';
import { createElement as h, useRef, type ReactElement } from 'react';
import type { Client, Endpoint, Registry, RegistryService } from '../../runtime/index.ts';
import { schemaType } from '../schema.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, duration, pairs, steps, visibleRange } from './layout.ts';
import { useHealth, type NodeHealth } from './use-health.ts';
import { useKeys } from './use-keys.ts';
import { useService } from './use-registry.ts';
import { listRow, text } from './text.ts';

/** Keys of the service view, for the footer. */
export const serviceViewKeys: KeyHint[] = [
  ['↑↓/jk', 'move'],
  ['enter/c', 'call'],
  ['esc/backspace', 'back'],
  ['q', 'quit'],
];

/** True for an endpoint that is a topic subscriber rather than something to call. */
export const isSubscriber = (e: Endpoint): boolean => e.metadata?.subscriber === 'true';

/** The endpoints of every version by name (the newest version's definition), subscribers last. */
export function endpointsOf(versions: RegistryService[]): Endpoint[] {
  const byName = new Map<string, Endpoint>();
  for (const s of [...versions].reverse())
    for (const e of s.endpoints) if (!byName.has(e.name)) byName.set(e.name, e);
  return [...byName.values()].sort(
    (a, b) => Number(isSubscriber(a)) - Number(isSubscriber(b)) || a.name.localeCompare(b.name),
  );
}

const healthText = (h: NodeHealth | undefined): string =>
  !h ? 'checking' : `${h.status}${h.ms === undefined ? '' : ` ${duration(h.ms)}`}`;

const healthColor = (h: NodeHealth | undefined): string | undefined =>
  !h
    ? undefined
    : h.status === 'ok'
      ? 'green'
      : h.status === 'failed' || h.status === 'unhealthy'
        ? 'red'
        : 'yellow';

/** How an endpoint is marked in the list: stream kind or subscriber. */
const endpointTag = (e: Endpoint): string =>
  isSubscriber(e)
    ? `subscriber${e.metadata.topic ? ` ${e.metadata.topic}` : ''}`
    : e.metadata?.stream
      ? `stream=${e.metadata.stream}`
      : '';

interface Props {
  registry: Registry;
  client: Client;
  name: string;
  cursor: number;
  onCursor: (cursor: number) => void;
  onCall: (endpoint: Endpoint) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
  width: number;
}

/** The service view; Enter or `c` calls the highlighted endpoint. */
export function ServiceView(props: Props): ReactElement {
  const { registry, client, name, height, width } = props;
  const service = useService(registry, name);
  const versions = service.value ?? [];
  const health = useHealth(client, versions);
  const endpoints = endpointsOf(versions);
  const cursor = Math.min(props.cursor, Math.max(0, endpoints.length - 1));
  const selected = endpoints[cursor];

  // The cursor as of the last key, which may be newer than this render's.
  const latest = useRef(cursor);
  latest.current = cursor;
  useKeys((input, key) => {
    const step = steps(input, key);
    if (step !== 0) {
      latest.current = Math.max(0, Math.min(endpoints.length - 1, latest.current + step));
      return props.onCursor(latest.current);
    }
    if (key.escape || key.backspace || key.delete) return props.onBack();
    if (input === 'q') return props.onQuit();
    const e = endpoints[latest.current];
    if ((key.return || input === 'c') && e && !isSubscriber(e)) props.onCall(e);
  });

  const nodes = versions.flatMap((s) => s.nodes.map((n) => ({ version: s.version, node: n })));
  const idWidth = Math.max(2, ...nodes.map((n) => n.node.id.length)) + 2;
  const versionWidth = Math.max(7, ...nodes.map((n) => n.version.length)) + 2;
  const addressWidth = Math.max(7, ...nodes.map((n) => n.node.address.length)) + 2;
  const healthWidth = 14;
  const nodeRow = (c: [string, string, string, string, string]): string =>
    `  ${c[0].padEnd(idWidth)}${c[1].padEnd(versionWidth)}${c[2].padEnd(addressWidth)}${c[3].padEnd(healthWidth)}${c[4]}`;
  // Nodes get at most a quarter of the rows; endpoints get what is left.
  const nodeRows = Math.max(1, Math.min(nodes.length, Math.floor(height / 4)));
  const versionRows = Math.max(1, Math.min(versions.length, Math.floor(height / 6)));
  const endpointRows = Math.max(1, height - versionRows - nodeRows - 6);
  const range = visibleRange(endpoints.length, cursor, endpointRows);
  const nameWidth = Math.max(4, ...endpoints.map((e) => e.name.length)) + 2;
  const listWidth = Math.min(
    Math.max(24, ...endpoints.map((e) => nameWidth + endpointTag(e).length + 3)),
    Math.floor(width / 2),
  );

  if (!service.value) {
    return h(
      Box,
      { flexDirection: 'column', height },
      text({ bold: true }, name),
      text(
        { color: service.error ? 'red' : undefined, dimColor: !service.error },
        service.error ?? 'loading…',
      ),
    );
  }

  const schemaLines = selected
    ? isSubscriber(selected)
      ? [
          `a subscriber to topic ${selected.metadata.topic ?? '?'}:`,
          `publish to it with micro publish ${selected.metadata.topic ?? 'TOPIC'} JSON`,
        ]
      : [
          'request',
          ...schemaType(selected.request, '  ')
            .split('\n')
            .map((l) => `  ${l}`),
          'response',
          ...schemaType(selected.response, '  ')
            .split('\n')
            .map((l) => `  ${l}`),
          ...(selected.metadata && Object.keys(selected.metadata).length > 0
            ? ['metadata', `  ${pairs(selected.metadata)}`]
            : []),
        ]
    : ['no endpoints'];

  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, name)),
      service.error ? text({ color: 'red', wrap: 'truncate-end' }, service.error) : null,
    ),
    text({ bold: true }, `VERSIONS (${versions.length})`),
    ...versions
      .slice(0, versionRows)
      .map((s) =>
        text(
          { key: s.version, wrap: 'truncate-end' },
          `  ${s.version.padEnd(versionWidth)}${`${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`.padEnd(10)}${pairs(s.metadata)}`,
        ),
      ),
    text({ bold: true }, `NODES (${nodes.length})`),
    text({ dimColor: true }, nodeRow(['ID', 'VERSION', 'ADDRESS', 'HEALTH', 'METADATA'])),
    ...clipLines(
      nodes.map((n) => n.node.id),
      nodeRows,
    ).map((id, i) => {
      const n = nodes[i];
      if (!n || n.node.id !== id) return text({ key: 'more', dimColor: true }, `  ${id}`);
      const hl = health.get(n.node.id);
      return text(
        { key: n.node.id, wrap: 'truncate-end' },
        `  ${n.node.id.padEnd(idWidth)}${n.version.padEnd(versionWidth)}${n.node.address.padEnd(addressWidth)}`,
        text({ color: healthColor(hl) }, healthText(hl).padEnd(healthWidth)),
        text({ dimColor: true }, pairs(n.node.metadata)),
      );
    }),
    text({ bold: true }, `ENDPOINTS (${endpoints.length})`),
    h(
      Box,
      { flexDirection: 'row', flexGrow: 1 },
      h(
        Box,
        { flexDirection: 'column', width: listWidth, flexShrink: 0 },
        ...endpoints
          .slice(range.start, range.end)
          .map((e, i) =>
            listRow(
              e.name,
              range.start + i === cursor,
              e.name.padEnd(nameWidth),
              text({ dimColor: true }, endpointTag(e)),
            ),
          ),
      ),
      h(
        Box,
        {
          flexDirection: 'column',
          borderStyle: 'single',
          borderTop: false,
          borderBottom: false,
          borderRight: false,
          paddingLeft: 1,
          flexGrow: 1,
        },
        text({ bold: true }, selected?.name ?? ''),
        ...clipLines(schemaLines, endpointRows - 1).map((l, i) =>
          text({ key: i, wrap: 'truncate-end' }, l),
        ),
      ),
    ),
  );
}
