/** core/: primitives every other part of vigil shares. Nothing here imports another part. */
export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.ts';
export {
  apiVersion,
  apiVersionSchema,
  durationSchema,
  formatPath,
  type ListenAddress,
  listenAddressSchema,
  loadConfigFile,
  parseConfig,
  parseListenAddress,
} from './config.ts';
export { formatDuration, parseDuration } from './duration.ts';
export {
  type ErrorCode,
  errorCodes,
  exitCodeFor,
  httpStatusFor,
  isVigilError,
  toVigilError,
  VigilError,
  type VigilErrorOptions,
} from './errors.ts';
export {
  closable,
  defaultBodyLimitBytes,
  formatHostPort,
  hasBearerToken,
  isLoopback,
  type Listening,
  type ListenOptions,
  listen,
  readBody,
  readJsonBody,
  requireTokenOffLoopback,
  sendError,
  sendJson,
} from './http.ts';
