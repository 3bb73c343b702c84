import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../chaos/verify/checksum.ts';
import {
  classify,
  defaultRetryPolicy,
  isLossOrCorruption,
  isViolation,
  retryDecision,
  verdicts,
} from '../../../chaos/verify/verdict.ts';

const abc = sha256Hex(Buffer.from('abc'));

describe('classify', () => {
  it('knows the SHA-256 of abc', () => {
    expect(abc).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('absent is missing, error is unreadable', () => {
    expect(classify({ sha256: abc }, { kind: 'absent' })).toBe('missing');
    expect(classify({ sha256: abc }, { kind: 'error', message: 'EIO' })).toBe('unreadable');
  });
  it('checksum and size decide between ok and corrupt', () => {
    expect(classify({ sha256: abc, size: 3 }, { kind: 'present', size: 3, sha256: abc })).toBe('ok');
    expect(classify({ sha256: abc, size: 3 }, { kind: 'present', size: 2, sha256: abc })).toBe('corrupt');
    expect(
      classify({ sha256: abc }, { kind: 'present', size: 3, sha256: sha256Hex(Buffer.from('abd')) }),
    ).toBe('corrupt');
  });
  it('a HEAD with only a size is ok when the size matches, unverifiable with nothing to compare', () => {
    expect(classify({ size: 3 }, { kind: 'present', size: 3 })).toBe('ok');
    expect(classify({}, { kind: 'present', size: 3, sha256: abc })).toBe('unverifiable');
  });
});

describe('verdict predicates', () => {
  it('only ok and unverifiable are not violations; only missing and corrupt fail the gate', () => {
    expect(verdicts.filter((v) => !isViolation(v))).toEqual(['ok', 'unverifiable']);
    expect(verdicts.filter(isLossOrCorruption)).toEqual(['missing', 'corrupt']);
  });
  it('retries with doubling delays, then gives up', () => {
    expect(retryDecision(1, defaultRetryPolicy)).toEqual({ retry: true, delayMs: 5000 });
    expect(retryDecision(2, defaultRetryPolicy)).toEqual({ retry: true, delayMs: 10_000 });
    expect(retryDecision(3, defaultRetryPolicy)).toEqual({ retry: false });
  });
});
