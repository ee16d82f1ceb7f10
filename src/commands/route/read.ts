// The rule `micro route set` is given: a JSON argument, or a file (JSON, or YAML by its
// extension; `-` for standard input). Unreadable or malformed input is a 400 naming the source.
import { badRequest } from '../../runtime/errors.ts';

const ID = 'micro.cli';

/** The value given as an argument or in --file (exactly one of them), and where it came from. */
export async function readRuleValue(
  argument: string | undefined,
  file: string | undefined,
): Promise<{ value: unknown; source: string }> {
  // `--file -` can reach here as the argument `-` (yargs reads a lone `-` as a positional).
  if ((argument === '-' || argument === '') && (file === undefined || file === '')) {
    argument = undefined;
    file = '-';
  }
  if ((argument === undefined) === (file === undefined))
    throw badRequest(
      ID,
      'give the rule either as a JSON argument or with --file, not both or neither',
    );
  const { parseJson, readStdin } = await import('../shared/input.ts');
  if (argument !== undefined)
    return { value: parseJson(argument, 'the rule argument'), source: 'the rule' };
  // yargs gives a lone `-` as ''.
  const path = file === '' ? '-' : file!;
  const { readFile } = await import('node:fs/promises');
  const text =
    path === '-'
      ? await readStdin()
      : await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw badRequest(ID, `cannot read the rule file ${path}: ${err.code ?? err.message}`);
        });
  const source = path === '-' ? 'standard input' : path;
  if (text.trim() === '') throw badRequest(ID, `${source} is empty: give a rule`);
  // Standard input may be either: JSON when it parses as JSON, else YAML.
  const yaml = /\.ya?ml$/i.test(path) || (path === '-' && !/^\s*[[{]/.test(text));
  if (!yaml) return { value: parseJson(text, source), source };
  const { parse } = await import('yaml');
  try {
    return { value: parse(text) as unknown, source };
  } catch (err) {
    throw badRequest(ID, `malformed YAML in ${source}: ${(err as Error).message.split('\n')[0]}`);
  }
}
