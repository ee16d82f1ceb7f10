// PLACEHOLDER: the control-plane config service; replaced by the area's implementation.
import type { HostContext, Hosted } from '../hosts.ts';

/** Hosts the config service in the control plane. */
export async function hostConfig(_context: HostContext): Promise<Hosted> {
  return { handlers: {}, close: async () => undefined };
}
