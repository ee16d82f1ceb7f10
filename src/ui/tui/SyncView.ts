// The sync screen: the locks held now (NAME HOLDER TOKEN EXPIRES) and the elections with their
// leaders and candidates, read through the control plane's sync service (Sync.*) every few
// seconds. Candidates are read for the first MAX_CANDIDATES elections only, one call each.
import { Box } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import type { Client } from '../../runtime/index.ts';
import type { LeaderInfo, LockInfo } from '../../platform/sync/sync.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, relativeTime } from './layout.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Elections whose candidates are read. */
const MAX_CANDIDATES = 20;

/** Keys of the sync screen, for the footer. */
export const syncKeys: KeyHint[] = [
  ['esc', 'services'],
  ['tab', 'views'],
  ['q', 'quit'],
];

interface Props {
  client: Client;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** An election's leader with the ids of its candidates (undefined: not read). */
type Election = LeaderInfo & { candidates?: string[] };

/** The sync screen. */
export function SyncView({ client, onBack, onQuit, height }: Props): ReactElement {
  const read = useRead(async () => {
    const [l, e] = await Promise.all([
      client.call<{ locks: LockInfo[] }>('sync', 'Sync.Locks', {}),
      client.call<{ leaders: LeaderInfo[] }>('sync', 'Sync.Leaders', {}),
    ]);
    const elections: Election[] = await Promise.all(
      e.leaders.map(async (x, i) =>
        i >= MAX_CANDIDATES
          ? x
          : {
              ...x,
              candidates: (
                await client.call<{ candidates: { id: string }[] }>('sync', 'Sync.Candidates', {
                  name: x.name,
                })
              ).candidates.map((c) => c.id),
            },
      ),
    );
    return { locks: l.locks, elections };
  }, [client]);
  useKeys((input, key) => {
    if (key.escape) return onBack();
    if (input === 'q') return onQuit();
  });

  const locks = read.value?.locks ?? [];
  const elections = read.value?.elections ?? [];
  const half = Math.max(2, Math.floor((height - 4) / 2));
  const nameWidth = Math.min(
    40,
    Math.max(6, ...locks.map((l) => l.name.length), ...elections.map((e) => e.name.length)) + 2,
  );
  // A value wider than its column is cut with an ellipsis, so the next column keeps its place.
  const cell = (v: string, width: number): string =>
    v.length < width ? v.padEnd(width) : `${v.slice(0, width - 2)}… `;
  const lockRow = (c: [string, string, string, string]): string =>
    `${cell(c[0], nameWidth)}${cell(c[1], 28)}${cell(c[2], 8)}${c[3]}`;
  const electionRow = (c: [string, string, string, string, string]): string =>
    `${cell(c[0], nameWidth)}${cell(c[1], 28)}${cell(c[2], 6)}${cell(c[3], 10)}${c[4]}`;
  const lockLines = read.loading
    ? ['loading…']
    : locks.length === 0
      ? ['no lock is held']
      : locks.map((l) => lockRow([l.name, l.holder, String(l.token), relativeTime(l.expiresAt)]));
  const electionLines = read.loading
    ? ['loading…']
    : elections.length === 0
      ? ['no election has a leader']
      : elections.map((e) =>
          electionRow([
            e.name,
            e.id,
            String(e.term),
            relativeTime(e.since),
            e.candidates ? e.candidates.join(', ') || '-' : '…',
          ]),
        );
  const lines = (list: string[], key: string) =>
    clipLines(list, half).map((l, i) =>
      text({ key: `${key}${i}`, wrap: 'truncate-end' }, `  ${l}`),
    );
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      text({ bold: true }, `LOCKS (${locks.length})`),
      read.error ? text({ color: 'red', wrap: 'truncate-end' }, read.error) : null,
    ),
    text({ dimColor: true }, `  ${lockRow(['NAME', 'HOLDER', 'TOKEN', 'EXPIRES'])}`),
    ...lines(lockLines, 'l'),
    text({ bold: true }, `ELECTIONS (${elections.length})`),
    text({ dimColor: true }, `  ${electionRow(['NAME', 'LEADER', 'TERM', 'SINCE', 'CANDIDATES'])}`),
    ...lines(electionLines, 'e'),
  );
}
