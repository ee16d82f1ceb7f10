// The terminal explorer: services list (or topics) -> service view -> call view, a header and a key
// footer; Tab cycles the top views: services, topics, store, config, sync, events, db, auth; `r` on
// the services list opens the routes screen (traffic rules and circuits), `m` the MCP screen (the
// tools agents see, the audited calls), `b` the bot screen (the running bots, the commands they
// ran), esc goes back.
import { Box, useApp, useWindowSize } from 'ink';
import { createElement as h, useEffect, useState, type ReactElement } from 'react';
import type { Db } from '../../platform/db/db.ts';
import type { Events } from '../../platform/events/events.ts';
import type { Trace } from '../../platform/trace/trace.ts';
import type { Client, Endpoint, Registry } from '../../runtime/index.ts';
import { CallView, callViewKeys } from './CallView.ts';
import { Footer, type KeyHint } from './Footer.ts';
import { ServiceList, serviceListKeys, type ListPosition } from './ServiceList.ts';
import { ServiceView, serviceViewKeys } from './ServiceView.ts';
import { createLiveRegistry, type LiveRegistry } from './live-registry.ts';
import { TopicList, topicListKeys } from './TopicList.ts';
import { callKind } from './use-call.ts';
import { text } from './text.ts';
import { ConfigView, configKeys, type ConfigPlace } from './ConfigView.ts';
import { StoreView, storeKeys, storeWhere, type StorePlace } from './StoreView.ts';
import { SyncView, syncKeys } from './SyncView.ts';
import { DbView, dbKeys, dbWhere, type DbPlace } from './DbView.ts';
import { EventsView, eventsKeys, type EventsPlace } from './EventsView.ts';
import { AuthView, authKeys, authWhere, type AuthPlace } from './AuthView.ts';
import { useKeys } from './use-keys.ts';
import { RoutesView, routesKeys } from './RoutesView.ts';
import type { Routes } from '../../platform/routing/routing.ts';
import { McpView, mcpKeys, type ExplorerMcp } from './McpView.ts';
import { BotView, botKeys, type BotFocus } from './BotView.ts';

/** What the explorer talks through, and where it starts. */
export interface AppProps {
  registry: Registry;
  client: Client;
  /** Open this service's view first. */
  service?: string;
  /**
   * The services and topics followed already (micro explore starts it before the App is drawn,
   * and stops it); without it the App follows the registry itself while it is drawn.
   */
  live?: LiveRegistry;
  /** The events area the events screen follows; without it the screen says so. */
  events?: Events;
  /** The db area the db screen browses; without it the screen says so. */
  db?: Db;
  /** The traces the call screen shows the last call's from; without it none is shown. */
  trace?: Trace;
  /** The traffic rules the routes screen lists; without them the screen says so. */
  routes?: Routes;
  /** The tools agents see (`micro mcp`), which the MCP screen lists; without them it says so. */
  mcp?: ExplorerMcp;
}

/** Which screen is up. */
type Screen =
  | { name: 'services' }
  | { name: 'topics' }
  | { name: 'service'; service: string }
  | { name: 'call'; service: string; endpoint: Endpoint }
  | { name: 'store' }
  | { name: 'config' }
  | { name: 'sync' }
  | { name: 'events' }
  | { name: 'db' }
  | { name: 'auth' }
  | { name: 'routes' }
  | { name: 'mcp' }
  | { name: 'bot' };

/** The screens Tab cycles through, in order. */
const VIEWS = ['services', 'topics', 'store', 'config', 'sync', 'events', 'db', 'auth'] as const;

/** The explorer; `q` (or Ctrl-C) ends it. */
export function App({
  registry,
  client,
  service,
  live,
  events,
  db,
  trace,
  routes,
  mcp,
}: AppProps): ReactElement {
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const [own] = useState(() => (live ? undefined : createLiveRegistry(registry)));
  useEffect(() => {
    if (!own) return;
    own.start();
    return () => own.stop();
  }, [own]);
  // The lists subscribe to it themselves: a batch of changes re-renders the list, not the App.
  const source = live ?? own!;
  const [screen, setScreen] = useState<Screen>(
    service ? { name: 'service', service } : { name: 'services' },
  );
  const [list, setList] = useState<ListPosition>({ cursor: 0, filter: '', filtering: false });
  const [endpointCursor, setEndpointCursor] = useState(0);
  const [storePlace, setStorePlace] = useState<StorePlace>({ level: 'namespaces' });
  const [configPlace, setConfigPlace] = useState<ConfigPlace>({ level: 'namespaces' });
  const [eventsPlace, setEventsPlace] = useState<EventsPlace>({ filter: '', filtering: false });
  const [dbPlace, setDbPlace] = useState<DbPlace>({ level: 'collections' });
  const [authPlace, setAuthPlace] = useState<AuthPlace>({ section: 'accounts' });
  const [schemas, setSchemas] = useState(false);
  const [botFocus, setBotFocus] = useState<BotFocus>('commands');
  const toServices = (): void => setScreen({ name: 'services' });
  // Tab and Shift-Tab move between the top views, except while a filter or prefix takes the keys.
  useKeys((_input, key) => {
    const at = VIEWS.indexOf(screen.name as (typeof VIEWS)[number]);
    const typing =
      (screen.name === 'services' && list.filtering) ||
      (screen.name === 'store' && storePlace.level === 'keys' && storePlace.filtering) ||
      (screen.name === 'events' && eventsPlace.filtering) ||
      (screen.name === 'auth' && authPlace.confirm !== undefined);
    if (!key.tab || at < 0 || typing) return;
    const next = VIEWS[(at + (key.shift ? VIEWS.length - 1 : 1)) % VIEWS.length] ?? 'services';
    setScreen({ name: next } as Screen);
  });
  // What every screen but the call view takes: q quits; the header and the footer take a row each.
  const screenProps = { onQuit: (): void => exit(), height: Math.max(4, rows - 2) };

  let body: ReactElement;
  let keys: KeyHint[];
  if (screen.name === 'services') {
    keys = serviceListKeys(list);
    body = h(ServiceList, {
      ...screenProps,
      live: source,
      position: list,
      onPosition: setList,
      onOpen: (name: string) => {
        setEndpointCursor(0);
        setScreen({ name: 'service', service: name });
      },
      onTopics: () => setScreen({ name: 'topics' }),
      onRoutes: () => setScreen({ name: 'routes' }),
      onMcp: () => setScreen({ name: 'mcp' }),
      onBot: () => setScreen({ name: 'bot' }),
    });
  } else if (screen.name === 'topics') {
    keys = topicListKeys;
    body = h(TopicList, { ...screenProps, live: source, onServices: toServices });
  } else if (screen.name === 'routes') {
    keys = routesKeys;
    body = h(RoutesView, { ...screenProps, client, routes, onBack: toServices });
  } else if (screen.name === 'mcp') {
    keys = mcpKeys(schemas);
    const onSchemas = setSchemas;
    body = h(McpView, { ...screenProps, mcp, events, schemas, onSchemas, onBack: toServices });
  } else if (screen.name === 'bot') {
    keys = botKeys(botFocus);
    body = h(BotView, {
      ...screenProps,
      registry,
      client,
      events,
      focus: botFocus,
      onFocus: setBotFocus,
      onBack: toServices,
    });
  } else if (screen.name === 'store') {
    keys = storeKeys(storePlace);
    body = h(StoreView, {
      ...screenProps,
      client,
      place: storePlace,
      onPlace: setStorePlace,
      onBack: toServices,
    });
  } else if (screen.name === 'config') {
    keys = configKeys(configPlace);
    body = h(ConfigView, {
      ...screenProps,
      client,
      place: configPlace,
      onPlace: setConfigPlace,
      onBack: toServices,
    });
  } else if (screen.name === 'sync') {
    keys = syncKeys;
    body = h(SyncView, { ...screenProps, client, onBack: toServices });
  } else if (screen.name === 'events') {
    keys = eventsKeys(eventsPlace);
    body = h(EventsView, {
      ...screenProps,
      events,
      place: eventsPlace,
      onPlace: setEventsPlace,
      onBack: toServices,
    });
  } else if (screen.name === 'db') {
    keys = dbKeys(dbPlace);
    body = h(DbView, {
      ...screenProps,
      db,
      place: dbPlace,
      onPlace: setDbPlace,
      onBack: toServices,
    });
  } else if (screen.name === 'auth') {
    keys = authKeys(authPlace);
    body = h(AuthView, {
      ...screenProps,
      client,
      place: authPlace,
      onPlace: setAuthPlace,
      onBack: toServices,
    });
  } else if (screen.name === 'service') {
    keys = serviceViewKeys;
    body = h(ServiceView, {
      ...screenProps,
      key: screen.service,
      registry,
      client,
      name: screen.service,
      cursor: endpointCursor,
      onCursor: setEndpointCursor,
      onCall: (endpoint: Endpoint) =>
        setScreen({ name: 'call', service: screen.service, endpoint }),
      onBack: toServices,
      width: columns,
    });
  } else {
    keys = callViewKeys(callKind(screen.endpoint.metadata));
    body = h(CallView, {
      key: `${screen.service} ${screen.endpoint.name}`,
      client,
      service: screen.service,
      endpoint: screen.endpoint,
      onBack: () => setScreen({ name: 'service', service: screen.service }),
      height: screenProps.height,
      width: columns,
      trace,
    });
  }

  const where =
    screen.name === 'services' ||
    screen.name === 'topics' ||
    screen.name === 'sync' ||
    screen.name === 'events' ||
    screen.name === 'routes' ||
    screen.name === 'mcp' ||
    screen.name === 'bot'
      ? screen.name
      : screen.name === 'auth'
        ? authWhere(authPlace)
        : screen.name === 'db'
          ? dbWhere(dbPlace)
          : screen.name === 'store'
            ? storeWhere(storePlace)
            : screen.name === 'config'
              ? configPlace.level === 'namespaces'
                ? 'config'
                : `config › ${configPlace.namespace}`
              : screen.name === 'service'
                ? `services › ${screen.service}`
                : `services › ${screen.service} › ${screen.endpoint.name}`;
  return h(
    Box,
    { flexDirection: 'column', width: columns, height: rows },
    h(
      Box,
      { flexShrink: 0, justifyContent: 'space-between' },
      text(
        { wrap: 'truncate-end' },
        text({ bold: true, color: 'cyan' }, 'micro explore'),
        `  ${where}`,
      ),
      text(
        { dimColor: true, wrap: 'truncate-start' },
        `registry ${registry.name} at ${registry.address}`,
      ),
    ),
    h(Box, { flexGrow: 1, flexDirection: 'column', overflow: 'hidden' }, body),
    h(Footer, { keys }),
  );
}
