// The resiliency policy a command's client applies: the file --resiliency or MICRO_RESILIENCY
// names (a Dapr Resiliency resource, src/platform/routing/policy-file.ts), its warnings on stderr.
import type { ResiliencyPolicy } from '../../runtime/resilience/policy.ts';

/**
 * Reads the policy file `path` (else MICRO_RESILIENCY's) for the app `app` (checked against its
 * scopes); undefined when none is named. A bad file is a 400 from micro.cli naming the file, the
 * path in it and what is wrong.
 */
export async function resiliencyPolicy(
  path: string | undefined,
  app?: string,
): Promise<ResiliencyPolicy | undefined> {
  if (!path && !process.env.MICRO_RESILIENCY) return undefined;
  const [{ policyFromEnv }, { badRequest }] = await Promise.all([
    import('../../platform/routing/policy-file.ts'),
    import('../../runtime/errors.ts'),
  ]);
  try {
    return policyFromEnv(process.env, {
      path,
      app,
      warn: (m) => process.stderr.write(`micro: ${m}\n`),
    });
  } catch (err) {
    if (err instanceof TypeError) throw badRequest('micro.cli', err.message);
    throw err;
  }
}
