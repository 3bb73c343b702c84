import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLedger, type LedgerEvent } from '../../../chaos/verify/ledger-check.ts';
import { ledgerReport } from '../../../chaos/verify/report.ts';

const pub = (id: string, outcome: 'acked' | 'unconfirmed' = 'acked', stream = 's'): LedgerEvent => ({
  type: 'publish',
  stream,
  id,
  outcome,
});
const del = (id: string, stream = 's'): LedgerEvent => ({ type: 'deliver', stream, id });

describe('checkLedger', () => {
  it('a clean history is valid', () => {
    const check = checkLedger([pub('1'), pub('2'), del('1'), del('2')]);
    expect(check.valid).toBe(true);
    expect(check.streams[0]).toMatchObject({ acked: 2, delivered: 2, deliveries: 2, lost: [] });
  });
  it('names lost, duplicated, unexpected and reordered messages', () => {
    const check = checkLedger([
      pub('1'),
      pub('2'),
      pub('3'),
      pub('4'),
      del('1'),
      del('3'),
      del('2'),
      del('3'),
      del('x'),
    ]);
    expect(check.valid).toBe(false);
    expect(check.streams[0]).toMatchObject({
      lost: ['4'],
      duplicated: [{ id: '3', deliveries: 2 }],
      unexpected: ['x'],
      reordered: ['2'],
    });
  });
  it('unconfirmed publishes are neither lost when absent nor a violation when delivered', () => {
    const check = checkLedger([pub('1', 'unconfirmed'), pub('2', 'unconfirmed'), del('2')]);
    expect(check.valid).toBe(true);
    expect(check.streams[0]).toMatchObject({
      unconfirmed: 2,
      unconfirmedDelivered: 1,
      unconfirmedMissing: 1,
    });
  });
  it('a later confirmation of the same id wins; streams are checked apart', () => {
    const check = checkLedger([
      pub('1', 'unconfirmed', 'a'),
      pub('1', 'acked', 'a'),
      pub('1', 'acked', 'b'),
      del('1', 'b'),
    ]);
    expect(check.streams.map((s) => [s.stream, s.lost])).toEqual([
      ['a', ['1']],
      ['b', []],
    ]);
  });

  it('finds exactly the anomalies planted in a random history', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('deliver', 'lose', 'duplicate', 'unconfirmed-lost'), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 0, max: 5 }),
        (fates, strangers) => {
          const events: LedgerEvent[] = [];
          const expectLost: string[] = [];
          const expectDup: string[] = [];
          fates.forEach((fate, i) => {
            events.push(pub(`m${i}`, fate === 'unconfirmed-lost' ? 'unconfirmed' : 'acked'));
          });
          fates.forEach((fate, i) => {
            if (fate === 'lose') expectLost.push(`m${i}`);
            else if (fate !== 'unconfirmed-lost') events.push(del(`m${i}`));
            if (fate === 'duplicate') {
              events.push(del(`m${i}`));
              expectDup.push(`m${i}`);
            }
          });
          for (let j = 0; j < strangers; j++) events.push(del(`stranger${j}`));
          const s = checkLedger(events).streams[0]!;
          expect(s.lost).toEqual(expectLost);
          expect(s.duplicated.map((d) => d.id)).toEqual(expectDup);
          expect(s.unexpected).toHaveLength(strangers);
          expect(s.reordered).toEqual([]);
        },
      ),
    );
  });
});

describe('ledgerReport', () => {
  it('fails on lost and unexpected, not on duplicates, by default', () => {
    const dup = ledgerReport('t', checkLedger([pub('1'), del('1'), del('1')]), 0, 1000);
    expect(dup.passed).toBe(true);
    expect(dup.totals.duplicated).toBe(1);
    const lost = ledgerReport('t', checkLedger([pub('1')]), 0, 1000);
    expect(lost.passed).toBe(false);
    expect(ledgerReport('t', checkLedger([pub('1'), del('1'), del('1')]), 0, 1, ['duplicated']).passed).toBe(
      false,
    );
  });
});
