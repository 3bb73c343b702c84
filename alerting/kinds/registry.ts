import { absence } from './absence.ts';
import { anomalies } from './anomaly.ts';
import { clientErrors } from './client-errors.ts';
import type { RuleKind } from './kind.ts';
import { rateGuards } from './rate-guard.ts';
import { slo } from './slo.ts';

/**
 * Every rule kind a vigil rule file may use, by top-level key. A new kind is one file in
 * alerting/kinds/ plus one line here; the order is the order of their groups after a file's
 * own `groups:`.
 */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own spec type; the loader parses with the kind's own schema.
export const kinds: readonly RuleKind<any>[] = [slo, absence, anomalies, clientErrors, rateGuards];
