// The logger of the services a benchmark starts: errors only, so that logging costs nothing.

/** Drops info and warnings, prints errors on stderr. */
export const quiet = {
  info: (): void => undefined,
  warn: (): void => undefined,
  error: (m: string): void => console.error(m),
};
