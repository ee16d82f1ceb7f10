// Asking the person at the terminal: a line shown as typed, or a secret not shown at all (the
// terminal in raw mode, nothing echoed). Limits: stdin must be a terminal; Ctrl-C or Ctrl-D ends
// the question with a 400, never a half-read secret.
import { badRequest } from '../../runtime/errors.ts';

/** Asks on stderr (stdout stays for output) and resolves with the line typed, without its newline. */
export function ask(question: string, hidden = false): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    return Promise.reject(badRequest('micro.cli', `cannot ask "${question.trim()}": no terminal`));
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const c of chunk.toString('utf8')) {
        if (c === '\r' || c === '\n') return done();
        if (c === '\u0003' || c === '\u0004')
          return done(badRequest('micro.cli', 'cancelled: nothing was typed'));
        if (c === '\u007f' || c === '\b') {
          if (typed.length > 0 && !hidden) process.stderr.write('\b \b');
          typed = [...typed].slice(0, -1).join('');
        } else if (c >= ' ') {
          typed += c;
          if (!hidden) process.stderr.write(c);
        }
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
