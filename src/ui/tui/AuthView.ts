// The auth screen: the control plane's accounts (ID TYPE ROLES SCOPES STATE) or its rules (ID WHO
// RESOURCE ACCESS PRIORITY, highest priority first), read through the auth service (Auth.*) as the
// explorer's login, and read again every few seconds. A rule may be deleted, after a y/n question.
// Never shows a secret or a token. A 401 or 403 is shown as the error beside the title.
import { useRef, useState, type ReactElement } from 'react';
import type { Account, Rule } from '../../platform/auth/auth.ts';
import { toMicroError, type Client } from '../../runtime/index.ts';
import type { KeyHint } from './Footer.ts';
import { moved } from './layout.ts';
import { listView } from './ListView.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Which list the auth screen shows, and a rule waiting for the answer to "delete it?". */
export interface AuthPlace {
  section: 'accounts' | 'rules';
  confirm?: string;
}

/** Keys of the auth screen at a place, for the footer. */
export function authKeys(place: AuthPlace): KeyHint[] {
  if (place.confirm)
    return [
      ['y', 'delete'],
      ['n/esc', 'keep'],
    ];
  return [
    ['↑↓/jk', 'move'],
    place.section === 'accounts' ? ['r', 'rules'] : ['a', 'accounts'],
    ...(place.section === 'rules' ? ([['d', 'delete rule']] as KeyHint[]) : []),
    ['esc', 'services'],
    ['tab', 'views'],
    ['q', 'quit'],
  ];
}

/** What the header says of a place. */
export const authWhere = (place: AuthPlace): string => `auth › ${place.section}`;

interface Props {
  client: Client;
  place: AuthPlace;
  onPlace: (place: AuthPlace) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** Rules in the order they decide: highest priority first. */
const ordered = (rules: Rule[]): Rule[] =>
  [...rules].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));

const list = (xs: readonly string[]): string => (xs.length > 0 ? xs.join(',') : '-');

/** The auth screen. */
export function AuthView({ client, place, onPlace, onBack, onQuit, height }: Props): ReactElement {
  const read = useRead(
    async () =>
      place.section === 'accounts'
        ? {
            accounts: (await client.call<{ accounts: Account[] }>('auth', 'Auth.ListAccounts', {}))
              .accounts,
          }
        : {
            rules: ordered(
              (await client.call<{ rules: Rule[] }>('auth', 'Auth.ListRules', {})).rules,
            ),
          },
    [client, place.section],
  );
  const [cursor, setCursor] = useState(0);
  const [failed, setFailed] = useState<string>();
  const accounts = read.value?.accounts ?? [];
  const rules = read.value?.rules ?? [];
  const count = place.section === 'accounts' ? accounts.length : rules.length;
  const at = Math.min(cursor, Math.max(0, count - 1));
  const latest = useRef({ at, place, rules });
  latest.current = { at, place, rules };
  useKeys((input, key) => {
    const now = latest.current.place;
    if (now.confirm) {
      if (input === 'y') {
        const id = now.confirm;
        onPlace({ section: 'rules' });
        void client.call('auth', 'Auth.DeleteRule', { id }).then(
          () => (setFailed(undefined), read.reload()),
          (err: unknown) => {
            const e = toMicroError(err, 'micro.explore');
            setFailed(`cannot delete ${id}: ${e.code} ${e.detail}`);
          },
        );
      } else if (input === 'n' || key.escape) onPlace({ section: 'rules' });
      return;
    }
    const to = moved(latest.current.at, count, input, key, height);
    if (to !== undefined) return setCursor((latest.current.at = to));
    if (input === 'a' && now.section !== 'accounts')
      return (setCursor(0), onPlace({ section: 'accounts' }));
    if (input === 'r' && now.section !== 'rules')
      return (setCursor(0), onPlace({ section: 'rules' }));
    const rule = latest.current.rules[latest.current.at];
    if (input === 'd' && now.section === 'rules' && rule)
      return onPlace({ section: 'rules', confirm: rule.id });
    if (key.escape) return onBack();
    if (input === 'q') return onQuit();
  });
  const error = failed ?? read.error;
  const status = read.loading ? 'loading…' : undefined;
  if (place.section === 'accounts') {
    const row = (a: string, b: string, c: string, d: string, e: string): string =>
      `${a.padEnd(24)}${b.padEnd(9)}${c.padEnd(20)}${d.padEnd(20)}${e}`;
    return listView({
      height,
      title: `ACCOUNTS (${accounts.length})`,
      error,
      header: row('ID', 'TYPE', 'ROLES', 'SCOPES', 'STATE'),
      items: accounts,
      cursor: at,
      keyOf: (a) => a.id,
      line: (a) =>
        row(a.id, a.type, list(a.roles), list(a.scopes), a.disabled ? 'disabled' : 'active'),
      status: status ?? (accounts.length === 0 ? 'no accounts (is auth on?)' : undefined),
    });
  }
  const row = (a: string, b: string, c: string, d: string, e: string): string =>
    `${a.padEnd(22)}${b.padEnd(20)}${c.padEnd(34)}${d.padEnd(8)}${e}`;
  return listView({
    height,
    title: `RULES (${rules.length})`,
    beside: place.confirm
      ? text({ color: 'yellow' }, `delete rule ${place.confirm}? y/n`)
      : undefined,
    error,
    header: row('ID', 'WHO', 'RESOURCE', 'ACCESS', 'PRIORITY'),
    items: rules,
    cursor: at,
    keyOf: (r) => r.id,
    line: (r) =>
      row(
        r.id,
        r.who,
        `${r.resource.kind}:${r.resource.name}:${r.resource.action}`,
        r.access,
        String(r.priority),
      ),
    status: status ?? (rules.length === 0 ? 'no rules: micro auth rules add' : undefined),
  });
}
