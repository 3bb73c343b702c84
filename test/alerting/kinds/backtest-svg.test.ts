import { describe, expect, it } from 'vitest';
import { type BacktestResult, backtestSvg } from '../../../alerting/kinds/index.ts';

/**
 * The backtest timeline (`vigil rules backtest --svg`): bars where alerts fired, bands where
 * incidents were labeled, on one time axis, with everything a label can hold escaped.
 */

const start = Date.UTC(2026, 0, 5);
const hour = 3_600_000;
const end = start + 48 * hour;

const result: BacktestResult = {
  start,
  end,
  evaluations: 100,
  errors: [],
  alerts: [
    {
      alertname: 'Burn',
      labels: { alertname: 'Burn', job: 'a<b&"c"' },
      annotations: {},
      group: 'g',
      firedAt: start + 12 * hour,
      resolvedAt: start + 18 * hour,
    },
    {
      alertname: 'Burn',
      labels: { alertname: 'Burn', job: 'a<b&"c"' },
      annotations: {},
      group: 'g',
      firedAt: start + 40 * hour,
      resolvedAt: undefined,
    },
  ],
};

/** x and width of every rect with `fill`, in order. */
function rects(svg: string, fill: string): { x: number; width: number }[] {
  return [
    ...svg.matchAll(new RegExp(`<rect x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"[^>]*fill="${fill}"`, 'g')),
  ].map((m) => ({ x: Number(m[1]), width: Number(m[2]) }));
}

describe('backtest timeline picture', () => {
  it('draws each firing where it happened, to the end when it was still firing', () => {
    const svg = backtestSvg(result, [{ alert: 'Burn', start: start + 11 * hour, end: start + 13 * hour }]);
    const bars = rects(svg, '#d0021b');
    expect(bars).toHaveLength(2);
    // The plot runs from x=440 to x=1050 over 48 hours.
    const at = (h: number) => 440 + (h / 48) * 610;
    expect(bars[0]!.x).toBeCloseTo(at(12), 0);
    expect(bars[0]!.width).toBeCloseTo(at(18) - at(12), 0);
    expect(bars[1]!.x + bars[1]!.width).toBeCloseTo(at(48), 0);
    const bands = rects(svg, '#f5a623');
    expect(bands).toHaveLength(1);
    expect(bands[0]!.x).toBeCloseTo(at(11), 0);
    expect(svg).toContain('still firing at the end');
    // One row for the label set, its text escaped; no raw markup from a label anywhere.
    expect(svg).toContain('job=&quot;a&lt;b&amp;\\&quot;c\\&quot;&quot;');
    expect(svg).not.toContain('a<b');
    expect(svg.trim().startsWith('<svg xmlns="http://www.w3.org/2000/svg" role="img"')).toBe(true);
    expect(svg).toMatch(
      /^<title>Backtest 2026-01-05T00:00:00Z \.\. 2026-01-07T00:00:00Z: 2 firings, 1 incidents: /m,
    );
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });

  it('shows an incident nothing caught as a row of its own, and says when nothing happened', () => {
    const missed = backtestSvg({ ...result, alerts: [] }, [{ alert: 'Quiet', start, end: start + hour }]);
    expect(missed).toContain('Quiet (never fired)');
    expect(rects(missed, '#f5a623')).toHaveLength(1);
    expect(rects(missed, '#d0021b')).toHaveLength(0);
    expect(backtestSvg({ ...result, alerts: [] })).toContain('no alert fired and no incident was labeled');
  });
});
