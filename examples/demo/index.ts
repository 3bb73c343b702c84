/**
 * examples/demo: the system under test that vigil's other parts monitor, probe and break.
 * See docs/demo.md.
 */
export { type ChildSpec, type ChildState, SupervisedChild } from './child.ts';
export { type DemoInfo, DemoInfoFile, demoFilePath, readDemoInfo } from './demo-file.ts';
export { decodeEvent, type PhotoEvent, photoEventSchema, photosStream, subjectFor } from './events.ts';
export { defaultGcIntervalMs, GcJob, type GcPlan, type GcResult, planGc } from './gc.ts';
export { isValidPhotoId, isValidUser, type PhotoKey, parsePhotoKey, photoKey } from './keys.ts';
export {
  foldMetadata,
  type IndexedPhoto,
  type MetadataRecord,
  parseMetadataLines,
  readMetadata,
} from './metadata.ts';
export { decideNats, defaultNatsUrl, type NatsDecision, type NatsRequest, parseNatsRequest } from './nats.ts';
export {
  type DemoOptions,
  defaultRate,
  defaultServicePort,
  parseIntFlag,
  parseNumberFlag,
  resolveDemoOptions,
} from './options.ts';
export { Outbox } from './outbox.ts';
export { photosBucket, type RunningDemo, startDemo } from './run.ts';
export { authorize, tokenIndex } from './service/auth.ts';
export { checksumMetadataKey, PhotoStore, sha256Hex } from './store.ts';
export { describeDemo } from './summary.ts';
export {
  applyOutcome,
  chooseOp,
  defaultMix,
  emptyModel,
  expectedStatus,
  TrafficGenerator,
  type TrafficKind,
  type TrafficMix,
  type TrafficOp,
  type TrafficStats,
} from './traffic.ts';
export { type DemoUser, defaultUserNames } from './users.ts';
export { traceIdOf, workerConsumer } from './worker.ts';
