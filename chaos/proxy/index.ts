/** chaos/proxy: the TCP fault proxy, its toxics and its Toxiproxy-compatible API. */
export {
  type ProxyServer,
  type ProxyServerOptions,
  proxyApiHandler,
  startProxyServer,
  toxiproxyApiVersion,
  toxiproxyDefaultPort,
} from './api.ts';
export { ProxyClient, type ProxyClientOptions } from './client.ts';
export { type LeaseView, ProxyCollection, type ProxyCollectionOptions } from './collection.ts';
export { apiError, apiErrors } from './errors.ts';
export { Link, maxHeldBytes } from './link.ts';
export { type ProxyView, TcpProxy } from './proxy.ts';
export { type ProxySpec, parseProxyInput, parseToxicInput, type ToxicSpec } from './spec.ts';
export { type HeldOutput, type StageSink, ToxicStage } from './stage.ts';
export {
  hasEnd,
  hasStart,
  isStream,
  type Stream,
  streams,
  type Toxic,
  type ToxicAction,
  type ToxicContext,
  type ToxicDefinition,
  type ToxicEnd,
  type ToxicStart,
} from './toxic.ts';
export { isToxicType, type ToxicType, toxicDefinition, toxics } from './toxics/index.ts';
