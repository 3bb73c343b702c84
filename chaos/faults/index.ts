/** chaos/faults: process, disk and HTTP faults. */
export {
  type DiskChange,
  type DiskFaultKind,
  type DiskFaultOptions,
  describeChange,
  type FileEntry,
  injectDiskFault,
  listFiles,
  planDiskFault,
  restoreDiskChanges,
} from './disk.ts';
export {
  decideHttpFault,
  type HttpFaultDecision,
  HttpFaultProxy,
  type HttpFaultProxyOptions,
  type HttpFaultRule,
} from './http.ts';
export {
  givenProcess,
  isStopped,
  killProcess,
  ManagedProcess,
  type ManagedProcessOptions,
  type PauseHandle,
  type ProcessTarget,
  pauseProcess,
  processState,
} from './process.ts';
export {
  isAlive,
  startWatchdog,
  type WatchdogHandle,
  type WatchdogPlan,
  watchdogSource,
} from './watchdog.ts';
