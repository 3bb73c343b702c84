import type { ToxicDefinition } from '../toxic.ts';
import { bandwidth } from './bandwidth.ts';
import { latency } from './latency.ts';
import { limitData } from './limit-data.ts';
import { resetPeer } from './reset-peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow-close.ts';
import { timeout } from './timeout.ts';

/**
 * Every toxic, keyed by its Toxiproxy type name. Adding one is a new file in this folder and
 * one line here.
 */
export const toxics = {
  latency,
  bandwidth,
  slow_close: slowClose,
  timeout,
  reset_peer: resetPeer,
  slicer,
  limit_data: limitData,
} as const;

export type ToxicType = keyof typeof toxics;

/**
 * True when `type` names a toxic of the family.
 *
 * @example
 * isToxicType('latency'); // true
 */
export function isToxicType(type: string): type is ToxicType {
  return Object.hasOwn(toxics, type);
}

/**
 * The definition of a toxic type, widened for generic callers.
 *
 * @example
 * toxicDefinition('latency').attributes.parse({}); // { latency: 0, jitter: 0 }
 */
export function toxicDefinition(type: ToxicType): ToxicDefinition {
  return toxics[type] as unknown as ToxicDefinition;
}
