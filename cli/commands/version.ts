import { readFileSync } from 'node:fs';
import { type Command, parseCommandArgs } from '../command.ts';

/** The version in package.json: one source of truth. */
export function vigilVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const version: Command = {
  name: 'version',
  usage: 'vigil version\n\nPrints the version of vigil.',
  async run(argv, io) {
    parseCommandArgs('version', argv, {}, false);
    io.stdout.write(`vigil ${vigilVersion()}\n`);
    return 0;
  },
};
