import type { Command } from '../command.ts';
import { demo } from './demo.ts';
import { version } from './version.ts';

/**
 * Every `vigil` subcommand, listed explicitly: adding one is a new file in this folder and one
 * line here.
 */
export const commands: Command[] = [version, demo];
