// Who subscribes to what through NATS brokers on one prefix, so a publish knows whose answers to
// wait for: core NATS tells a publisher only that no one listens, never how many do.

/** One subscription as brokers announce it. */
export interface Interest {
  /** The NATS subject it listens on. */
  subject: string;
  /** What its answers are signed with: the subscription's id, or `q:<queue>` for a queue group's member. */
  key: string;
  /** The subscription's own id (a queue group has several members under one key). */
  member: string;
}

/** An announcement on the interest subject. */
export interface InterestNotice extends Interest {
  op: 'add' | 'del';
}

/** The answer key of a subscription: a queue group answers once, whichever member got the message. */
export const interestKey = (member: string, queue: string | undefined): string =>
  queue ? `q:${queue}` : member;

/** Subject -> key -> members, kept from the brokers' announcements. */
export class InterestTable {
  readonly #subjects = new Map<string, Map<string, Set<string>>>();

  /** Records a subscription. */
  add({ subject, key, member }: Interest): void {
    let keys = this.#subjects.get(subject);
    if (!keys) this.#subjects.set(subject, (keys = new Map<string, Set<string>>()));
    let members = keys.get(key);
    if (!members) keys.set(key, (members = new Set<string>()));
    members.add(member);
  }

  /** Forgets a subscription; true when its key has no member left. */
  delete({ subject, key, member }: Interest): boolean {
    const keys = this.#subjects.get(subject);
    const members = keys?.get(key);
    if (!keys || !members) return false;
    members.delete(member);
    if (members.size > 0) return false;
    keys.delete(key);
    if (keys.size === 0) this.#subjects.delete(subject);
    return true;
  }

  /** Forgets keys that stopped answering (their process died without saying so), or all of a subject's. */
  drop(subject: string, keys?: Iterable<string>): void {
    const known = this.#subjects.get(subject);
    if (!known) return;
    for (const k of keys ?? [...known.keys()]) known.delete(k);
    if (known.size === 0) this.#subjects.delete(subject);
  }

  /** True when the key is known on the subject. */
  has(subject: string, key: string): boolean {
    return this.#subjects.get(subject)?.has(key) ?? false;
  }

  /** The keys whose answers a publish on the subject waits for. */
  keys(subject: string): Set<string> {
    return new Set(this.#subjects.get(subject)?.keys());
  }
}

/** Parses a notice or a list of interests; undefined for anything else. */
export function parseInterests(data: Uint8Array): Interest[] | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    const list = Array.isArray(v) ? (v as unknown[]) : [v];
    const ok = list.every(
      (i) =>
        typeof i === 'object' &&
        i !== null &&
        typeof (i as Interest).subject === 'string' &&
        typeof (i as Interest).key === 'string' &&
        typeof (i as Interest).member === 'string',
    );
    return ok ? (list as Interest[]) : undefined;
  } catch {
    return undefined;
  }
}
