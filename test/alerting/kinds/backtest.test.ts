import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kinds, rules } from '../../../alerting/index.ts';
import { runCli } from '../../support/cli.ts';

/**
 * `vigil rules backtest`: OpenMetrics text replayed through rules on a simulated clock. The
 * data is small and hand-checkable: a gauge that crosses a threshold twice, one crossing
 * labeled as an incident.
 */

const t0 = 1_767_225_600; // 2026-01-01T00:00:00Z, seconds

/** `queue_depth` every 15s for an hour: 100 normally, 500 from minute 10 to 20 and 40 to 45. */
function openMetrics(): string {
  const lines = ['# TYPE queue_depth gauge'];
  for (let s = 0; s <= 3600; s += 15) {
    const m = s / 60;
    const v = (m >= 10 && m < 20) || (m >= 40 && m < 45) ? 500 : 100;
    lines.push(`queue_depth{queue="uploads"} ${v} ${t0 + s}`);
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

const ruleText = `groups:
  - name: queue
    rules:
      - alert: QueueDeep
        expr: queue_depth > 300
        for: 1m
        annotations: { summary: 'depth {{ $value }}' }
`;

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

describe('rules backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-backtest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fires and resolves at the evaluation steps a live server would have', () => {
    const loader = new kinds.OpenMetricsLoader(kinds.backtestStore());
    loader.load(openMetrics());
    expect(loader.report).toMatchObject({ series: 1, samples: 241, outOfOrder: 0 });
    const result = kinds.runBacktest(rules.parseRuleFile('q.yaml', ruleText), loader.store, {
      start: t0 * 1000,
      end: (t0 + 3600) * 1000,
      stepMs: 30_000,
    });
    // Pending at 10:00, firing one `for` later; the expression stops matching at 20:00.
    expect(
      result.alerts.map((a) => [(a.firedAt / 1000 - t0) / 60, ((a.resolvedAt ?? 0) / 1000 - t0) / 60]),
    ).toEqual([
      [11, 20],
      [41, 45],
    ]);
    expect(result.alerts[0]!.annotations).toEqual({ summary: 'depth 500' });
    expect(result.evaluations).toBe(121);
    const scores = kinds.scoreBacktest(result, [
      { alert: 'QueueDeep', start: (t0 + 9 * 60) * 1000, end: (t0 + 25 * 60) * 1000 },
      { alert: 'QueueDeep', start: (t0 + 50 * 60) * 1000, end: (t0 + 55 * 60) * 1000 },
    ]);
    expect(scores).toEqual([
      {
        alertname: 'QueueDeep',
        truePositives: 1,
        falsePositives: 1,
        detected: 1,
        incidents: 2,
        precision: 0.5,
        recall: 0.5,
        delaysMs: [2 * 60_000],
      },
    ]);
  });

  it('streams a file in pieces with the same result, and names the line of bad data', () => {
    const file = join(dir, 'pieces.om');
    writeFileSync(file, openMetrics());
    const whole = new kinds.OpenMetricsLoader(kinds.backtestStore());
    kinds.loadOpenMetricsFile(whole, file);
    const pieces = new kinds.OpenMetricsLoader(kinds.backtestStore());
    const progress: number[] = [];
    kinds.loadOpenMetricsFile(pieces, file, (read) => progress.push(read), 100);
    expect(progress.length).toBeGreaterThan(50);
    expect(pieces.report).toEqual(whole.report);

    const bad = openMetrics().replace(`100 ${t0 + 300}`, `1oo ${t0 + 300}`);
    writeFileSync(file, bad);
    const line = bad.split('\n').findIndex((l) => l.includes('1oo')) + 1;
    for (const size of [100, 1 << 20]) {
      expect(() =>
        kinds.loadOpenMetricsFile(new kinds.OpenMetricsLoader(kinds.backtestStore()), file, undefined, size),
      ).toThrow(new RegExp(`^${file.replaceAll('.', '\\.')}:${line}: `));
    }
    writeFileSync(file, 'queue_depth 1\n# EOF\n');
    expect(() => kinds.loadOpenMetricsFile(new kinds.OpenMetricsLoader(kinds.backtestStore()), file)).toThrow(
      /pieces\.om: sample queue_depth has no timestamp/,
    );
    writeFileSync(file, 'queue_depth 1 1\n');
    expect(() => kinds.loadOpenMetricsFile(new kinds.OpenMetricsLoader(kinds.backtestStore()), file)).toThrow(
      /missing "# EOF"/,
    );
  });

  it('prints firings and, with incidents, precision, recall and delay per alert (CLI)', async () => {
    const backtest = (...more: string[]) =>
      runCli([
        'rules',
        'backtest',
        '--rules',
        join(dir, 'rules.yaml'),
        '--data',
        join(dir, 'data.om'),
        '--incidents',
        join(dir, 'incidents.yaml'),
        ...more,
      ]);
    writeFileSync(join(dir, 'data.om'), openMetrics());
    writeFileSync(join(dir, 'rules.yaml'), ruleText);
    writeFileSync(
      join(dir, 'incidents.yaml'),
      `- alert: QueueDeep\n  start: ${iso(t0 + 540)}\n  end: ${iso(t0 + 1500)}\n- name: QueueDeep\n  start: ${t0 + 3000}\n  end: ${t0 + 3300}\n`,
    );
    const res = await backtest();
    expect(res.err).toBe(''); // not a terminal: no progress
    expect(res.code).toBe(0);
    expect(res.out).toContain('1 series, 241 samples');
    expect(res.out).toContain(
      `fired ${iso(t0 + 660)}  resolved ${iso(t0 + 1200)}  {alertname="QueueDeep", queue="uploads"}`,
    );
    expect(res.out).toMatch(/QueueDeep\s+2\s+2\s+1\s+50\.0%\s+50\.0%\s+2m, 2m/);

    // The same as a picture: two firing bars over two incident bands, on one row.
    const svg = join(dir, 'timeline.svg');
    const drawn = await backtest('--svg', svg);
    expect(drawn.code).toBe(0);
    expect(drawn.out).toContain(`Timeline: ${svg}`);
    const picture = readFileSync(svg, 'utf8');
    expect(picture.match(/fill="#d0021b"/g)).toHaveLength(2);
    expect(picture.match(/fill="#f5a623"/g)).toHaveLength(2);
    expect(picture).toContain('QueueDeep {queue=&quot;uploads&quot;}');
    // A place the picture cannot go is refused before the replay, with the reason.
    const nowhere = await backtest('--svg', join(dir, 'no-such-dir', 'timeline.svg'));
    expect(nowhere.code).toBe(2);
    expect(nowhere.out).toBe('');
    expect(nowhere.err).toMatch(/--svg .*no-such-dir\/timeline\.svg: cannot write there \(ENOENT\)/);

    writeFileSync(join(dir, 'incidents.yaml'), '- alert: QueueDeep\n  start: yesterday\n  end: 1\n');
    const bad = await backtest();
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/incidents\.yaml:2: \[0\]\.start: /);
    const usage = await runCli(['rules', 'backtest', '--data', join(dir, 'data.om')]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--rules FILE is required/);
    expect((await runCli(['rules', 'backtest', '--rules', 'x', '--data', 'y', '--step', '0s'])).err).toMatch(
      /--step must be above 0/,
    );
  });
});
