// The clients a program made for itself (with a registry, transport or broker of their own), so a
// service shutting down on a signal closes them: one nobody closed would otherwise keep the
// process running (a registry watch, a NATS connection) until a supervisor killed it.
import type { Client } from './client.ts';

// Process-wide by nature: what it tracks is what keeps this process running.
const open = new Set<Client>();

/** Remembers a client until it is closed. */
export function trackClient(client: Client): void {
  open.add(client);
}

/** Forgets a closed client. */
export function untrackClient(client: Client): void {
  open.delete(client);
}

/** Closes every client still open; a service's run() calls it once it has stopped on a signal. */
export async function closeOpenClients(): Promise<void> {
  await Promise.allSettled([...open].map((c) => c.close()));
}
