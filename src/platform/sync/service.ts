// PLACEHOLDER: the control-plane sync service; replaced by the area's implementation.
import type { HostContext, Hosted } from '../hosts.ts';

/** Hosts the sync service in the control plane. */
export async function hostSync(_context: HostContext): Promise<Hosted> {
  return { handlers: {}, close: async () => undefined };
}
