/** Timeouts every HTTP listener of the toolkit shares with the service ports (slowloris defence). */
import { HTTP_TIMEOUTS } from '../runtime/transport/tcp/http-server.ts';

/**
 * Options for node:http's createServer (or fastify's `http`): headers within 10 s, the whole
 * request within 120 s, checked every second; Node checks every 30 s, so a slow client held a
 * connection for up to 90 s.
 */
export const SERVER_TIMEOUTS = { ...HTTP_TIMEOUTS, connectionsCheckingInterval: 1000 } as const;
