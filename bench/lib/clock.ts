// One clock for timings that cross processes (a change made in one, seen in another): ms since the
// epoch, and a child's offset from ours measured by ping, so latencies subtract it.
import { isMessage } from './protocol.ts';
import type { Child } from './processes.ts';

/** A clock shared by name across processes: ms since the epoch, with sub-ms resolution. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Parent to child: answer with a pong carrying the child's clock (for the clock offset). */
export interface PingMessage {
  type: 'ping';
  t0: number;
}

/** Child to parent: the ping's t0 and the child's clock when it answered. */
export interface PongMessage {
  type: 'pong';
  t0: number;
  t1: number;
}

export const isPing = isMessage<PingMessage>('ping');
export const isPong = isMessage<PongMessage>('pong');

/** The pong a child sends for ping m. */
export const pong = (m: PingMessage): PongMessage => ({ type: 'pong', t0: m.t0, t1: now() });

/** The child's clock minus ours, from the ping (of 20) with the shortest round trip. */
export async function clockOffset(child: Child): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 20; i++) {
    const t0 = now();
    child.send({ type: 'ping', t0 } satisfies PingMessage);
    const answer = await child.message<PongMessage>(
      (m): m is PongMessage => isPong(m) && m.t0 === t0,
      10_000,
    );
    const t2 = now();
    if (t2 - t0 < best.rttMs) best = { offsetMs: answer.t1 - (t0 + t2) / 2, rttMs: t2 - t0 };
  }
  return best;
}
