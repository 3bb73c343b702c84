import { VigilError } from '../../core/index.ts';
import { type Labels, metricNameLabel } from '../store/index.ts';
import type { AggregateOp } from './ast.ts';
import { quantile } from './functions.ts';
import { formatFloatF, type Sample } from './values.ts';

/**
 * Aggregation operators, grouping and all, as Prometheus 2.42's engine computes them: the
 * same running mean for avg, the same Welford update for stddev/stdvar, and the same binary
 * heap for topk/bottomk so that ties pick the same series.
 */

interface Group {
  labels: Labels;
  value: number;
  mean: number;
  count: number;
  heap: Sample[];
}

/** The labels a sample contributes to its group's output: `by` keeps, `without` drops (and the name). */
export function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Record<string, string> = {};
  if (without) {
    for (const [k, v] of Object.entries(labels))
      if (k !== metricNameLabel && !grouping.includes(k)) out[k] = v;
  } else {
    for (const k of grouping) {
      const v = labels[k];
      if (v !== undefined) out[k] = v;
    }
  }
  return out;
}

/** The key of a group's labels (any order of names gives the same key). */
export function groupKey(labels: Labels): string {
  let key = '';
  for (const k of Object.keys(labels).sort()) key += `${k}\xff${labels[k]}\xfe`;
  return key;
}

/**
 * avg's running mean after its `count`-th value `v`, as Prometheus 2.42 computes it: an
 * infinite mean stays as it is when `v` is finite or the same infinity, and each term is
 * divided by the count first, which avoids overflowing float64. Shared with promql/batch.ts.
 */
export function nextMean(mean: number, count: number, v: number): number {
  if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
    if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) return mean;
    if (Number.isFinite(v)) return mean;
  }
  return mean + (v / count - mean / count);
}

// Go's container/heap, so that topk/bottomk choose among equal values as Prometheus does.
type Less = (a: Sample, b: Sample) => boolean;

function heapUp(h: Sample[], j0: number, less: Less): void {
  let j = j0;
  for (;;) {
    const i = Math.floor((j - 1) / 2);
    if (i === j || j <= 0 || !less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    j = i;
  }
}

function heapDown(h: Sample[], i0: number, n: number, less: Less): boolean {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    [h[i], h[j]] = [h[j]!, h[i]!];
    i = j;
  }
  return i > i0;
}

const byValue: Less = (a, b) => Number.isNaN(a.v) || a.v < b.v;
const byReverseValue: Less = (a, b) => Number.isNaN(a.v) || a.v > b.v;

/**
 * Evaluates one aggregation over an instant vector.
 *
 * @example
 * aggregate('sum', samples, ['job'], false, undefined); // one sample per job
 */
export function aggregate(
  op: AggregateOp,
  input: readonly Sample[],
  grouping: readonly string[],
  without: boolean,
  param: number | string | undefined,
): Sample[] {
  let k = 0;
  let q = 0;
  let valueLabel = '';
  let groupingLabels = grouping;
  if (op === 'topk' || op === 'bottomk') {
    const p = param as number;
    k = Number.isNaN(p) ? 0 : Math.trunc(Math.min(Number.MAX_SAFE_INTEGER, p));
    if (k < 1) return [];
  } else if (op === 'quantile') {
    q = param as number;
  } else if (op === 'count_values') {
    valueLabel = param as string;
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(valueLabel))
      throw new VigilError('parse', `invalid label name "${valueLabel}"`);
    if (!without) groupingLabels = [...grouping, valueLabel];
  }
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  for (const original of input) {
    let s = original;
    if (op === 'count_values') s = { labels: { ...s.labels, [valueLabel]: formatFloatF(s.v) }, v: s.v };
    const labels = groupLabels(s.labels, groupingLabels, without);
    const key = groupKey(labels);
    const group = groups.get(key);
    if (!group) {
      const g: Group = { labels, value: s.v, mean: s.v, count: 1, heap: [] };
      if (op === 'stddev' || op === 'stdvar') g.value = 0;
      if (op === 'topk' || op === 'bottomk' || op === 'quantile') g.heap = [s];
      groups.set(key, g);
      order.push(g);
      continue;
    }
    switch (op) {
      case 'sum':
        group.value += s.v;
        break;
      case 'avg':
        group.count++;
        group.mean = nextMean(group.mean, group.count, s.v);
        break;
      case 'group':
        break;
      case 'max':
        if (group.value < s.v || Number.isNaN(group.value)) group.value = s.v;
        break;
      case 'min':
        if (group.value > s.v || Number.isNaN(group.value)) group.value = s.v;
        break;
      case 'count':
      case 'count_values':
        group.count++;
        break;
      case 'stddev':
      case 'stdvar': {
        group.count++;
        const delta = s.v - group.mean;
        group.mean += delta / group.count;
        group.value += delta * (s.v - group.mean);
        break;
      }
      case 'topk':
        if (group.heap.length < k) {
          group.heap.push(s);
          heapUp(group.heap, group.heap.length - 1, byValue);
        } else if (group.heap[0]!.v < s.v || (Number.isNaN(group.heap[0]!.v) && !Number.isNaN(s.v))) {
          group.heap[0] = s;
          if (!heapDown(group.heap, 0, group.heap.length, byValue)) heapUp(group.heap, 0, byValue);
        }
        break;
      case 'bottomk':
        if (group.heap.length < k) {
          group.heap.push(s);
          heapUp(group.heap, group.heap.length - 1, byReverseValue);
        } else if (group.heap[0]!.v > s.v || (Number.isNaN(group.heap[0]!.v) && !Number.isNaN(s.v))) {
          group.heap[0] = s;
          if (!heapDown(group.heap, 0, group.heap.length, byReverseValue))
            heapUp(group.heap, 0, byReverseValue);
        }
        break;
      case 'quantile':
        group.heap.push(s);
        break;
    }
  }
  const out: Sample[] = [];
  for (const g of order) {
    switch (op) {
      case 'avg':
        out.push({ labels: g.labels, v: g.mean });
        break;
      case 'count':
      case 'count_values':
        out.push({ labels: g.labels, v: g.count });
        break;
      case 'stdvar':
        out.push({ labels: g.labels, v: g.value / g.count });
        break;
      case 'stddev':
        out.push({ labels: g.labels, v: Math.sqrt(g.value / g.count) });
        break;
      case 'group':
        out.push({ labels: g.labels, v: 1 });
        break;
      case 'quantile':
        out.push({
          labels: g.labels,
          v: quantile(
            q,
            g.heap.map((s) => s.v),
          ),
        });
        break;
      case 'topk':
      case 'bottomk': {
        const less = op === 'topk' ? byValue : byReverseValue;
        // sort.Sort(sort.Reverse(heap)): largest first for topk, smallest first for bottomk.
        const sorted = [...g.heap].sort((a, b) => (less(b, a) ? -1 : less(a, b) ? 1 : 0));
        for (const s of sorted) out.push({ labels: s.labels, v: s.v });
        break;
      }
      default:
        out.push({ labels: g.labels, v: g.value });
    }
  }
  return out;
}
