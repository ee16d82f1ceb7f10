// A chat user's auth roles (issue 15): those of the accounts whose metadata `chat` names the user
// (`chat=xmpp:alice@example.org`, several comma-separated: `chat=xmpp:alice@example.org,slack:U0123`).
// Guarantees: an XMPP address matches in any case (as XMPP compares them); a disabled account gives
// no roles; the account list is read at most once per ACCOUNTS_TTL (and once at a time), so a busy
// channel does not load the auth service. Limits: a change of accounts takes up to ACCOUNTS_TTL to
// be seen; a failed read is not remembered.
import type { Account } from '../platform/auth/auth.ts';
import type { ChatUser } from './bot.ts';
import { sameUser, userKey } from './safety.ts';

/** Ms the account list is reused. */
export const ACCOUNTS_TTL = 30_000;

/** The metadata key of an account that names its chat users. */
export const CHAT_METADATA = 'chat';

/** rolesOf over an account listing (the auth area's listAccounts). */
export function rolesFromAccounts(
  listAccounts: () => Promise<Account[]>,
): (user: ChatUser) => Promise<readonly string[]> {
  let read: { at: number; accounts: Promise<Account[]> } | undefined;
  const accounts = (): Promise<Account[]> => {
    if (!read || Date.now() - read.at >= ACCOUNTS_TTL) {
      const next = { at: Date.now(), accounts: listAccounts() };
      next.accounts.catch(() => {
        if (read === next) read = undefined;
      });
      read = next;
    }
    return read.accounts;
  };
  return async (user) => {
    const key = sameUser(userKey(user));
    const roles = new Set<string>();
    for (const account of await accounts()) {
      if (account.disabled) continue;
      const chat = account.metadata[CHAT_METADATA] ?? '';
      if (chat.split(',').some((c) => sameUser(c.trim()) === key))
        for (const r of account.roles) roles.add(r);
    }
    return [...roles];
  };
}
