import type { Command } from '../command.ts';
import { agent } from './agent.ts';
import { chaos } from './chaos.ts';
import { demo } from './demo.ts';
import { gate } from './gate.ts';
import { proxy } from './proxy.ts';
import { rulesCommand } from './rules.ts';
import { server } from './server.ts';
import { verify } from './verify.ts';
import { version } from './version.ts';

/**
 * Every `vigil` subcommand, listed explicitly: adding one is a new file in this folder and one
 * line here.
 */
export const commands: Command[] = [version, demo, agent, proxy, chaos, gate, verify, rulesCommand, server];
