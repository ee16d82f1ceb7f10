import type { GlobalArgs } from '../shared/options.ts';

/** The arguments of `micro run`. */
export interface RunArgs extends GlobalArgs {
  target?: string;
  detach: boolean;
  name?: string;
  mdns: boolean;
  'web-address': string;
  'control-address'?: string;
  /** Serve the API gateway too (`--no-api` turns it off). */
  api: boolean;
  /** Seconds `run -d` waits for the service to register; 0 does not wait. */
  wait: number;
  /** Restart a service when its files change (`--no-watch` turns it off). */
  watch: boolean;
  /** Enforce auth in the control plane it starts (`--auth`, MICRO_AUTH=on). */
  auth: boolean;
  /** The environment block of an app's micro.json to use. */
  env?: string;
  /** TLS between services and on the gateway (MICRO_TLS=on). */
  tls: boolean;
  /** Mutual TLS between services (MICRO_MTLS=on). */
  mtls: boolean;
}

/** What the control plane that `micro run` may start in its own process is given. */
export type ControlPlaneArgs = Parameters<
  typeof import('../shared/control-plane.ts').openControlPlane
>[0];
