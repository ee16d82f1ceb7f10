// PLACEHOLDER: the control-plane store service; replaced by the area's implementation.
import type { HostContext, Hosted } from '../hosts.ts';

/** Hosts the store service in the control plane. */
export async function hostStore(_context: HostContext): Promise<Hosted> {
  return { handlers: {}, close: async () => undefined };
}
