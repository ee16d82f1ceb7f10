// HTTP to RPC translation: the API gateway now; the sidecar and web proxy build on the same parts.
export { createGateway } from './gateway.ts';
export { DEFAULTS as gatewayDefaults } from './options.ts';
export type { Settings as GatewaySettings } from './options.ts';
export type { RequestLimits } from './limits.ts';
export type {
  Gateway,
  GatewayOptions,
  GatewayRequest,
  GatewayContext,
  Middleware,
  HandlerName,
  Target,
  RequestLogEntry,
} from './proxy.ts';
export { GATEWAY_ID, VERSION_HEADER } from './proxy.ts';
export { resolvePath, endpointPath, toCamel, toKebab, type ResolvedPath } from './resolver.ts';
export { matchVersion, versionFilter } from './version.ts';
export { openApiDocument, type OpenApiOptions } from './openapi.ts';
export { createCatalog, type Catalog, type CatalogOptions } from './catalog.ts';
export {
  OAUTH_PATHS,
  GRANT_TYPES,
  OAUTH_LIMITS,
  type EdgeAuth,
  type EdgeVerifier,
} from './auth/index.ts';
