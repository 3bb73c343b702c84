import { formatLabels } from '../store/index.ts';
import type { BacktestResult, FiredAlert, Incident } from './backtest.ts';

/**
 * A backtest as a picture: one row per alert (name and labels), a bar for each time it fired,
 * and the labeled incidents of its name shaded behind, on one time axis. Where a bar starts
 * against its shading is the detection delay; bars outside any shading are false alarms;
 * shading without a bar is a missed incident. Plain SVG, written by `vigil rules backtest
 * --svg FILE`, so it opens in any browser and needs nothing to draw it. Pure: text in, text out.
 */

const width = 1100;
const labelWidth = 440;
const rowHeight = 22;
const top = 44;
// Room on the right for the last tick's date.
const plotWidth = width - labelWidth - 50;

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * @example
 * writeFileSync('backtest.svg', backtestSvg(result, incidents));
 */
export function backtestSvg(result: BacktestResult, incidents: readonly Incident[] = []): string {
  const { start, end } = result;
  const span = Math.max(1, end - start);
  const x = (t: number) => labelWidth + (Math.min(Math.max(t, start), end) - start) * (plotWidth / span);
  // Rows: every alert label set that fired, grouped by name; names with incidents but no
  // firing get a row too, so a missed incident shows.
  const rows = new Map<string, { name: string; text: string; firings: FiredAlert[] }>();
  const sorted = [...result.alerts].sort(
    (a, b) => a.alertname.localeCompare(b.alertname) || a.firedAt - b.firedAt,
  );
  for (const a of sorted) {
    const { alertname: _, ...rest } = a.labels;
    const text = `${a.alertname} ${formatLabels(rest)}`;
    const key = `${a.group}\u0000${text}`;
    const row = rows.get(key) ?? { name: a.alertname, text, firings: [] };
    row.firings.push(a);
    rows.set(key, row);
  }
  const fired = new Set(result.alerts.map((a) => a.alertname));
  for (const name of new Set(incidents.map((i) => i.alert)))
    if (!fired.has(name))
      rows.set(`missed\u0000${name}`, { name, text: `${name} (never fired)`, firings: [] });
  const ordered = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  const height = top + Math.max(1, ordered.length) * rowHeight + 30;
  const heading = `Backtest ${iso(start)} .. ${iso(end)}: ${result.alerts.length} firings, ${incidents.length} incidents`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    // What a screen reader says for the whole picture.
    `<title>${escapeXml(`${heading}: when each alert fired, over the labeled incidents`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(heading)}</text>`,
    `<text x="10" y="34" fill="#555">red: firing; orange band: labeled incident of that alert name</text>`,
  ];
  for (const tick of ticks(start, end)) {
    const tx = x(tick.t).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 26}" stroke="#ddd"/>`,
      `<text x="${tx}" y="${height - 12}" text-anchor="middle" fill="#555">${escapeXml(tick.label)}</text>`,
    );
  }
  if (ordered.length === 0)
    out.push(
      `<text x="${labelWidth}" y="${top + 15}" fill="#555">no alert fired and no incident was labeled</text>`,
    );
  ordered.forEach((row, i) => {
    const y = top + i * rowHeight;
    out.push(
      `<text x="10" y="${y + 15}">${escapeXml(truncate(row.text, 72))}<title>${escapeXml(row.text)}</title></text>`,
    );
    for (const incident of incidents) {
      if (incident.alert !== row.name) continue;
      const x1 = x(incident.start);
      out.push(
        `<rect x="${x1.toFixed(1)}" y="${y + 1}" width="${Math.max(2, x(incident.end) - x1).toFixed(1)}" height="${rowHeight - 2}" fill="#f5a623" fill-opacity="0.35"><title>${escapeXml(`incident ${iso(incident.start)} .. ${iso(incident.end)}`)}</title></rect>`,
      );
    }
    for (const a of row.firings) {
      const x1 = x(a.firedAt);
      const until = a.resolvedAt ?? end;
      const when = `fired ${iso(a.firedAt)}, ${a.resolvedAt === undefined ? 'still firing at the end' : `resolved ${iso(a.resolvedAt)}`}`;
      out.push(
        `<rect x="${x1.toFixed(1)}" y="${y + 5}" width="${Math.max(2, x(until) - x1).toFixed(1)}" height="${rowHeight - 10}" fill="#d0021b"><title>${escapeXml(when)}</title></rect>`,
      );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Axis ticks at whole days (or hours, for a short range), at most about a dozen. */
function ticks(start: number, end: number): { t: number; label: string }[] {
  const hour = 3_600_000;
  const steps = [hour, 3 * hour, 6 * hour, 12 * hour, 24 * hour, 7 * 24 * hour];
  const step = steps.find((s) => (end - start) / s <= 12) ?? steps[steps.length - 1]!;
  const out: { t: number; label: string }[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const d = new Date(t).toISOString();
    out.push({ t, label: step >= 24 * hour ? d.slice(0, 10) : `${d.slice(5, 10)} ${d.slice(11, 16)}` });
  }
  return out;
}
