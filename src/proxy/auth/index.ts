// Auth at the edges (gateway and sidecar): tokens required and mapped to the rules' resources, and
// the OAuth routes (token, revoke, JWKS, RFC 8414 metadata) in front of the platform's Auth.
export type { EdgeAuth, EdgeVerifier } from './edge.ts';
export { OAUTH_PATHS, GRANT_TYPES } from './oauth.ts';
export { OAUTH_LIMITS } from './oauth-input.ts';
export { edgeAuthFromEnv, type EnvEdgeAuth, type EdgeEnvOptions } from './env.ts';
