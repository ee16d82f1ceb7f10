/** The NATS registry: every instance answers queries for its own registrations and announces changes. */
export { createNatsRegistry, type NatsRegistryOptions } from './registry.ts';
