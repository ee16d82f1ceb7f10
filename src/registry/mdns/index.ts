/** The multicast DNS registry: each node published as a DNS-SD service, no daemon, opt-in. */
export { createMdnsRegistry, type MdnsRegistryOptions } from './registry.ts';
