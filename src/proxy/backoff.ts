// A retry timer whose delay doubles after each retry, for the views that re-open a registry watch.

/** One pending retry at a time, delayed 250 ms at first and twice as long each time up to `max`. */
export interface Backoff {
  /** Runs the retry after the current delay, unless one is pending or the timer is stopped. */
  schedule(): void;
  /** Back to the first delay, once an attempt succeeded. */
  reset(): void;
  /** Cancels the pending retry; schedule() does nothing from now on. */
  stop(): void;
}

/** Creates a backoff timer that calls retry; the timer does not keep the process running. */
export function createBackoff(retry: () => void, max: number, first = 250): Backoff {
  let delay = first;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    schedule() {
      if (stopped || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        retry();
      }, delay);
      timer.unref();
      delay = Math.min(delay * 2, max);
    },
    reset() {
      delay = first;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
