/**
 * Publishes waiting for their subscribers to report that they tried the message, as the JetStream
 * and Redis brokers do: each publish gets a number that travels with the message, subscribers
 * report `<number> <who>` back, and the publish resolves once the reports seen complete it, one
 * says '*' (give up), or `ms` pass.
 */
export class Reports {
  readonly #waiting = new Map<number, (who: string) => void>();
  #seq = 0;

  /** A new publish's number, and a promise that settles as above; `complete` is asked at once too. */
  expect(
    complete: (seen: ReadonlySet<string>) => boolean,
    ms: number,
  ): { id: number; done: Promise<void> } {
    const id = ++this.#seq;
    const seen = new Set<string>();
    const done = new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(bound);
        this.#waiting.delete(id);
        resolve();
      };
      const bound = setTimeout(finish, ms);
      this.#waiting.set(id, (who) => {
        seen.add(who);
        if (who === '*' || complete(seen)) finish();
      });
      if (complete(seen)) finish();
    });
    return { id, done };
  }

  /** A subscriber's report on publish `id`; '*' ends the wait. */
  report(id: number, who: string): void {
    this.#waiting.get(id)?.(who);
  }

  /** Ends every wait: the broker is disconnecting. */
  endAll(): void {
    for (const done of [...this.#waiting.values()]) done('*');
  }
}
