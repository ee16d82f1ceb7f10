// The token the CLI's own calls carry, when the control plane enforces auth: the ONE place that
// finds it, so that every command (the runtime's ps, kill, logs, run -d; the registry it reads)
// sends the same. For now MICRO_AUTH_TOKEN; `micro login`'s credentials file is added here.
import type { GlobalArgs } from './options.ts';

/** The access token for the CLI's calls to the control plane at argv's address, or undefined for none. */
export function cliToken(
  _argv: Pick<GlobalArgs, 'registry' | 'registryAddress'>,
): string | undefined | Promise<string | undefined> {
  return process.env.MICRO_AUTH_TOKEN || undefined;
}

/** Whether `--auth` (or MICRO_AUTH=on, as the services read it) asks the control plane to enforce auth. */
export function authOn(argv: { auth?: boolean }): boolean {
  return argv.auth === true || /^(on|true|1)$/i.test(process.env.MICRO_AUTH ?? '');
}

/** The `--auth` option of the commands that run a control plane. */
export const authOption = {
  type: 'boolean',
  default: false,
  describe:
    'enforce auth: every call needs a token the rules allow; the first start prints the admin secret once [MICRO_AUTH=on]',
} as const;
