// The explorer's auth screen on a fake terminal (ink-testing-library), over a client standing in
// for the auth service: `n` keeps a rule, a refused delete and a refused read say why (no crash),
// and no secret field of an account is ever drawn. The real service: test/e2e/explore-auth-tmux.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import { createElement as h, useState } from 'react';
import type { Account, Rule } from '../../src/platform/auth/auth.ts';
import { forbidden, type Client } from '../../src/runtime/index.ts';
import { AuthView, type AuthPlace } from '../../src/ui/tui/AuthView.ts';
import { frameWith, keys, press } from '../helpers/ink.ts';

const rule = (id: string, priority: number): Rule => ({
  id,
  who: 'role:dev',
  resource: { kind: 'service', name: 'greeter', action: '*' },
  access: 'allow',
  priority,
});

/** A client whose auth calls answer from these lists; deletes are refused when `refuse`. */
function fakeAuth(
  accounts: Account[],
  rules: Rule[],
  refuse = false,
): Client & { calls: string[] } {
  const calls: string[] = [];
  const call = async (service: string, endpoint: string, body: { id?: string }) => {
    calls.push(`${service} ${endpoint}${body.id ? ` ${body.id}` : ''}`);
    if (endpoint === 'Auth.ListAccounts') return { accounts };
    if (endpoint === 'Auth.ListRules') {
      if (refuse) throw forbidden('auth', 'account ann may not auth rules read');
      return { rules };
    }
    if (endpoint === 'Auth.DeleteRule')
      throw forbidden('auth', 'account ann may not auth rules write');
    throw new Error(`unexpected ${endpoint}`);
  };
  return { call, calls } as unknown as Client & { calls: string[] };
}

function Screen({ client }: { client: Client }) {
  const [place, setPlace] = useState<AuthPlace>({ section: 'accounts' });
  return h(AuthView, {
    client,
    place,
    onPlace: setPlace,
    onBack: () => {},
    onQuit: () => {},
    height: 20,
  });
}

describe('micro explore: the auth screen (fake terminal)', () => {
  it('lists accounts without secrets, keeps a rule on n, and says why a delete was refused', async () => {
    const ann = {
      id: 'ann',
      type: 'user',
      roles: ['dev'],
      scopes: [],
      metadata: {},
      created: 0,
      secret: 'must-never-show',
    } as Account;
    const client = fakeAuth([ann], [rule('low', 1), rule('high', 9)]);
    const view = render(h(Screen, { client }));
    try {
      let frame = await frameWith(view, /ACCOUNTS \(1\)[\s\S]*ann\s+user\s+dev\s+-\s+active/);
      assert.doesNotMatch(frame, /must-never-show/);
      await press(view, 'r');
      frame = await frameWith(view, /RULES \(2\)[\s\S]*› high[\s\S]*low/);
      await press(view, 'd');
      await frameWith(view, /delete rule high\? y\/n/);
      await press(view, 'n');
      frame = await frameWith(view, (f) => !f.includes('y/n'));
      assert.ok(!client.calls.some((c) => c.includes('DeleteRule')), 'n deletes nothing');
      await press(view, 'j', 'd', 'y');
      frame = await frameWith(view, /cannot delete low: 403 account ann may not auth rules write/);
      assert.match(frame, /RULES \(2\)/);
      assert.ok(client.calls.includes('auth Auth.DeleteRule low'));
      await press(view, keys.escape);
    } finally {
      view.unmount();
    }
  });

  it('shows a refused read beside the title', async () => {
    const view = render(h(Screen, { client: fakeAuth([], [], true) }));
    try {
      await frameWith(view, /ACCOUNTS \(0\)/);
      await press(view, 'r');
      await frameWith(view, /RULES \(0\)\s+403 account ann may not auth rules read/);
    } finally {
      view.unmount();
    }
  });
});
