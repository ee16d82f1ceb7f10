// The web dashboard and web proxy (`micro web`): what the commands layer starts.
export { startWeb } from './server.ts';
export { RESERVED, WEB_ID } from './web.ts';
export { userClient, asUser } from './user-client.ts';
export { SESSION_COOKIE } from './session.ts';
export type { Session, SessionVerifier, WebAuth } from './session.ts';
export type { Terminal, TerminalResult, Web, WebMcp, WebOptions } from './web.ts';
export type { FeedEvent } from './feed.ts';
export type { NodeHealth } from './health.ts';
export type { RecentEvent, ServiceSummary } from './summary.ts';
export type { EventBatch, EventSnapshot } from './events.ts';
