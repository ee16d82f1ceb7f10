// A command's words, as a person types them in a chat: split on spaces, but a JSON object or array
// kept whole (spaces and quotes inside it too) and a quoted string kept whole without its quotes,
// so `call greeter Say.Hello {"name": "Ann Lee"}` gives ['greeter', 'Say.Hello', '{"name": "Ann Lee"}']
// after the command's name. Guarantees: never throws; linear in the text. Limits: no escapes
// outside JSON (`\"` inside double quotes is the one exception); typographic quotes (“ ” ‘ ’, which
// chat clients put in place of straight ones) count as straight quotes; an unclosed quote or
// bracket runs to the end of the text.

const SMART = /[\u201c\u201d\u201e\u2018\u2019]/g;
const straight = (c: string): string => (c === '\u2018' || c === '\u2019' ? "'" : '"');

/** The words of a command line: JSON objects/arrays and quoted strings kept whole. */
export function splitArgs(text: string): string[] {
  const s = text.replace(SMART, straight);
  const words: string[] = [];
  let word = '';
  let started = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
      i++;
    } else if (c === '{' || c === '[') {
      const end = jsonEnd(s, i);
      word += s.slice(i, end);
      started = true;
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) {
        if (c === '"' && s[j] === '\\' && s[j + 1] === '"') j++;
        j++;
      }
      const inner = s.slice(i + 1, j);
      word += c === '"' ? inner.replaceAll('\\"', '"') : inner;
      started = true;
      i = j + 1;
    } else {
      word += c;
      started = true;
      i++;
    }
  }
  if (started) words.push(word);
  return words;
}

/** The index just past the bracket that closes the one at `start` (strings inside skipped), or the text's end. */
function jsonEnd(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return s.length;
}
