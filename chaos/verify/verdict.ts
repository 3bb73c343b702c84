/**
 * What a verifier concluded about one object, as a closed set, with the small predicates the
 * report, the metrics and the gate share. A verdict is about the data, never about vigil: a
 * verifier that cannot reach the store raises a VigilError instead of inventing verdicts.
 */

/**
 * - `ok`: present and, where the bytes were read, matching the recorded checksum.
 * - `missing`: acknowledged once, absent now (loss).
 * - `corrupt`: present, but its bytes or size disagree with the recorded checksum (corruption).
 * - `unreadable`: a read failed or timed out on every retry (availability, not yet loss).
 * - `resurrected`: deleted once, present again (the trash inspector's violation).
 * - `different`: two replicas hold different bytes for one key (the cross-replica verifier).
 * - `unverifiable`: present, but no checksum was recorded to compare with (not a violation).
 */
export const verdicts = [
  'ok',
  'missing',
  'corrupt',
  'unreadable',
  'resurrected',
  'different',
  'unverifiable',
] as const;
export type Verdict = (typeof verdicts)[number];

/** What a violation means for the data, so a gate can fail on loss without failing on a slow disk. */
export type ViolationClass = 'loss' | 'corruption' | 'availability' | 'resurrection' | 'divergence';

const classes: Record<Verdict, ViolationClass | undefined> = {
  ok: undefined,
  unverifiable: undefined,
  missing: 'loss',
  corrupt: 'corruption',
  unreadable: 'availability',
  resurrected: 'resurrection',
  different: 'divergence',
};

/** The class of a violating verdict, or undefined for `ok` and `unverifiable`. */
export function violationClass(verdict: Verdict): ViolationClass | undefined {
  return classes[verdict];
}

/** True for every verdict that a report must name. */
export function isViolation(verdict: Verdict): boolean {
  return classes[verdict] !== undefined;
}

/** True for the verdicts that fail the chaos gate by default: data lost or corrupted. */
export function isLossOrCorruption(verdict: Verdict): boolean {
  const c = classes[verdict];
  return c === 'loss' || c === 'corruption';
}

/** True when `text` names a verdict. */
export function isVerdict(text: string): text is Verdict {
  return (verdicts as readonly string[]).includes(text);
}

/** What a verifier expects of an object: recorded when it was written, or read from an index. */
export interface Expectation {
  /** Size in bytes, when known. */
  size?: number | undefined;
  /** Lower-case hex SHA-256 of the content, when known. */
  sha256?: string | undefined;
}

/** What a read (or a HEAD) observed. */
export type Observation =
  | { kind: 'absent' }
  | { kind: 'present'; size: number; sha256?: string | undefined }
  | { kind: 'error'; message: string };

/**
 * Decides a verdict from what was expected and what one attempt observed. A failed attempt is
 * `unreadable` here; whether to retry it first is the caller's business (see `retryDecision`).
 *
 * @example
 * classify({ sha256: 'ab..' }, { kind: 'present', size: 3, sha256: 'cd..' }); // 'corrupt'
 */
export function classify(expected: Expectation, observed: Observation): Verdict {
  switch (observed.kind) {
    case 'absent':
      return 'missing';
    case 'error':
      return 'unreadable';
    case 'present': {
      if (expected.size !== undefined && expected.size !== observed.size) return 'corrupt';
      if (expected.sha256 !== undefined && observed.sha256 !== undefined) {
        return expected.sha256 === observed.sha256 ? 'ok' : 'corrupt';
      }
      // A size match alone proves presence, not integrity: only a HEAD-only check accepts it.
      if (expected.sha256 === undefined && expected.size === undefined) return 'unverifiable';
      return 'ok';
    }
  }
}

/** How many times a failed read is tried before it counts as `unreadable`, and how far apart. */
export interface RetryPolicy {
  attempts: number;
  /** Delay before the second attempt; each later one doubles it. */
  delayMs: number;
}

/** Three attempts a few seconds apart ride out a broker or disk hiccup without hiding an outage. */
export const defaultRetryPolicy: RetryPolicy = { attempts: 3, delayMs: 5_000 };

/**
 * After attempt number `attempt` (1-based) ended `unreadable`: retry after `delayMs`, or give up.
 *
 * @example
 * retryDecision(1, defaultRetryPolicy); // { retry: true, delayMs: 5000 }
 */
export function retryDecision(
  attempt: number,
  policy: RetryPolicy,
): { retry: true; delayMs: number } | { retry: false } {
  if (attempt >= policy.attempts) return { retry: false };
  return { retry: true, delayMs: policy.delayMs * 2 ** (attempt - 1) };
}
