import { commandSource } from './command.ts';
import { FileSource } from './file.ts';
import { kubernetesSource } from './kubernetes.ts';
import { stdinSource } from './stdin.ts';

export { Checkpoints, type FileCheckpoint } from './checkpoints.ts';
export type { FileSourceOptions } from './file.ts';
export { expandGlobs, globToRegExp } from './glob.ts';
export { podResource } from './kubernetes.ts';
export { LineSplitter } from './line-splitter.ts';
export type { Deliver, Source, SourceStats } from './source.ts';
export { StreamSource } from './stream.ts';

/** Every source kind, listed explicitly. */
export const sources = {
  file: (options: ConstructorParameters<typeof FileSource>[0]) => new FileSource(options),
  stdin: stdinSource,
  command: commandSource,
  kubernetes: kubernetesSource,
};
export { commandSource, FileSource, kubernetesSource, stdinSource };
