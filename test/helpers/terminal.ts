// Terminals in tests: what a terminal would act on in text a test printed, and real terminals
// (tmux sessions on a private server) that tests type into and read.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

/** Control characters a terminal acts on: all C0 but \n and \t, DEL, C1, bidi overrides. */
export function controls(text: string): string[] {
  return [...text].filter((c) => {
    const n = c.codePointAt(0) ?? 0;
    return (
      (n < 0x20 && n !== 0x0a && n !== 0x09) ||
      (n >= 0x7f && n <= 0x9f) ||
      (n >= 0x202a && n <= 0x202e)
    );
  });
}

/** Where Debian's tmux is. */
export const TMUX = '/usr/bin/tmux';

/** A terminal (a tmux session) running one shell command. */
export interface Terminal {
  /** The visible screen, one string per row. */
  screen(): string[];
  /**
   * Resolves with the screen once it satisfies want, polling capture-pane until ms have passed:
   * waiting for the program to draw, bounded, never a fixed sleep.
   */
  screenWith(want: RegExp | ((rows: string[]) => boolean), ms?: number): Promise<string[]>;
  /** Presses keys by tmux name: Enter, Escape, C-s, j. */
  keys(...names: string[]): void;
  /** Types text as it is. */
  type(text: string): void;
  resize(columns: number, rows: number): void;
}

/** A private tmux server: terminals on it, and stop() ending it (the user's tmux is never touched). */
export interface TmuxServer {
  /** Opens a columns x rows terminal running command; the shell then prints "exited with N". */
  terminal(this: void, name: string, command: string, columns?: number, rows?: number): Terminal;
  /** Ends this server (kill-server) and removes its socket. */
  stop(this: void): void;
}

/** Starts nothing yet: the server starts with its first terminal, on a socket named for prefix. */
export function tmuxServer(prefix: string): TmuxServer {
  const socket = `${prefix}-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]): string =>
    execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
  return {
    terminal(name, command, columns = 120, rows = 40) {
      // tmux may drop what a dying pane printed last: the shell waits (for a line) once it has.
      const shell = `${command}; echo "exited with $?"; read _`;
      tmux(
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        name,
        '-x',
        `${columns}`,
        '-y',
        `${rows}`,
        shell,
      );
      const screen = (): string[] =>
        tmux('capture-pane', '-p', '-t', name).split('\n').slice(0, -1);
      return {
        screen,
        async screenWith(want, ms = 10_000) {
          const deadline = Date.now() + ms;
          for (;;) {
            const shown = screen();
            if (want instanceof RegExp ? want.test(shown.join('\n')) : want(shown)) return shown;
            if (Date.now() > deadline)
              throw new Error(
                `the screen never showed ${String(want)} in ${ms} ms; it was:\n${shown.join('\n')}`,
              );
            await new Promise((r) => setTimeout(r, 50));
          }
        },
        keys: (...names) => void tmux('send-keys', '-t', name, ...names),
        type: (text) => void tmux('send-keys', '-t', name, '-l', text),
        resize: (c, r) => void tmux('resize-window', '-t', name, '-x', `${c}`, '-y', `${r}`),
      };
    },
    stop() {
      const path = spawnSync(TMUX, ['-L', socket, 'display-message', '-p', '#{socket_path}'], {
        encoding: 'utf8',
      }).stdout.trim();
      spawnSync(TMUX, ['-L', socket, 'kill-server']);
      if (path.includes(socket)) rmSync(path, { force: true });
    },
  };
}
