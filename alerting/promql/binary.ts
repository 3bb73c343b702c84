import { VigilError } from '../../core/index.ts';
import { formatLabels, type Labels, metricNameLabel } from '../store/index.ts';
import { type BinaryOp, isComparison, type VectorMatching } from './ast.ts';
import { mod, pow } from './gomath.ts';
import { dropName, type Sample } from './values.ts';

/**
 * Binary operators between scalars and vectors with Prometheus' vector matching: one-to-one,
 * group_left / group_right, set operators, `bool`, and the errors Prometheus raises for
 * ambiguous matches.
 */

/** Applies `op` to two numbers: [value, keep]. Comparisons keep the left value when true. */
export function scalarBinop(op: BinaryOp, lhs: number, rhs: number): [number, boolean] {
  if (isComparison(op)) return [lhs, compare(op, lhs, rhs)];
  return [arithmetic(op, lhs, rhs), true];
}

/** An arithmetic operator's value, without the pair scalarBinop allocates (promql/batch.ts). */
export function arithmetic(op: BinaryOp, lhs: number, rhs: number): number {
  switch (op) {
    case '+':
      return lhs + rhs;
    case '-':
      return lhs - rhs;
    case '*':
      return lhs * rhs;
    case '/':
      return lhs / rhs;
    case '%':
      return mod(lhs, rhs);
    case '^':
      return pow(lhs, rhs);
    case 'atan2':
      return Math.atan2(lhs, rhs);
    default:
      throw new VigilError('internal', `operator ${op} is not defined between numbers`);
  }
}

/** Whether a comparison holds. */
export function compare(op: BinaryOp, lhs: number, rhs: number): boolean {
  switch (op) {
    case '==':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '>':
      return lhs > rhs;
    case '<':
      return lhs < rhs;
    case '>=':
      return lhs >= rhs;
    case '<=':
      return lhs <= rhs;
    default:
      throw new VigilError('internal', `operator ${op} is not a comparison`);
  }
}

/** Scalar op scalar: comparisons must carry `bool` (checked at parse time). */
export function scalarScalar(op: BinaryOp, lhs: number, rhs: number, returnBool: boolean): number {
  const [value, keep] = scalarBinop(op, lhs, rhs);
  if (returnBool) return keep ? 1 : 0;
  return value;
}

/** Vector op scalar (or scalar op vector when `swap`). */
export function vectorScalar(
  op: BinaryOp,
  vector: readonly Sample[],
  scalar: number,
  swap: boolean,
  returnBool: boolean,
): Sample[] {
  const out: Sample[] = [];
  const dropsName = !isComparison(op);
  for (const s of vector) {
    let [value, keep] = swap ? scalarBinop(op, scalar, s.v) : scalarBinop(op, s.v, scalar);
    // A comparison always returns the vector's value, even when the vector is on the right.
    if (isComparison(op) && swap) value = s.v;
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    out.push({ labels: dropsName || returnBool ? dropName(s.labels) : s.labels, v: value });
  }
  return out;
}

/** The signature two samples must share to match: `on` labels, or all but `ignoring` and the name. */
export function signatureFunc(on: boolean, names: readonly string[]): (labels: Labels) => string {
  if (on) {
    const sorted = [...names].sort();
    return (labels) => {
      let key = '';
      for (const n of sorted) key += `${n}\xff${labels[n] ?? ''}\xfe`;
      return key;
    };
  }
  return (labels) => {
    let key = '';
    for (const n of Object.keys(labels).sort()) {
      if (n === metricNameLabel || names.includes(n)) continue;
      key += `${n}\xff${labels[n]}\xfe`;
    }
    return key;
  };
}

function matchedLabels(labels: Labels, matching: VectorMatching): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const listed = matching.labels.includes(k);
    if (matching.on ? listed : !listed && k !== metricNameLabel) out[k] = v;
  }
  return formatLabels(out);
}

/** The labels of a vector-vector result sample, from its two matched samples. */
export function resultMetric(lhs: Labels, rhs: Labels, op: BinaryOp, matching: VectorMatching): Labels {
  const out: Record<string, string> = { ...lhs };
  if (!isComparison(op)) delete out[metricNameLabel];
  if (matching.card === 'one-to-one') {
    if (matching.on) {
      for (const k of Object.keys(out)) if (!matching.labels.includes(k)) delete out[k];
    } else {
      for (const k of matching.labels) delete out[k];
    }
  }
  for (const name of matching.include) {
    const value = rhs[name];
    if (value !== undefined && value !== '') out[name] = value;
    else delete out[name];
  }
  return out;
}

/** Vector op vector for arithmetic and comparison operators. */
export function vectorVector(
  op: BinaryOp,
  lhsIn: readonly Sample[],
  rhsIn: readonly Sample[],
  matching: VectorMatching,
  returnBool: boolean,
): Sample[] {
  if (op === 'and' || op === 'or' || op === 'unless') return setOp(op, lhsIn, rhsIn, matching);
  if (lhsIn.length === 0 || rhsIn.length === 0) return [];
  let lhs = lhsIn;
  let rhs = rhsIn;
  // The right-hand side is always the "one" side below.
  if (matching.card === 'one-to-many') [lhs, rhs] = [rhs, lhs];
  const sig = signatureFunc(matching.on, matching.labels);
  const rightSigs = new Map<string, Sample>();
  for (const rs of rhs) {
    const key = sig(rs.labels);
    const dupl = rightSigs.get(key);
    if (dupl) {
      const oneSide = matching.card === 'one-to-many' ? 'left' : 'right';
      throw new VigilError(
        'parse',
        `found duplicate series for the match group ${matchedLabels(rs.labels, matching)} on the ${oneSide} hand-side of the operation: [${formatLabels(rs.labels)}, ${formatLabels(dupl.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
      );
    }
    rightSigs.set(key, rs);
  }
  const matchedSigs = new Map<string, Set<string> | null>();
  const out: Sample[] = [];
  for (const ls of lhs) {
    const key = sig(ls.labels);
    const rs = rightSigs.get(key);
    if (!rs) continue;
    let vl = ls.v;
    let vr = rs.v;
    if (matching.card === 'one-to-many') [vl, vr] = [vr, vl];
    let [value, keep] = scalarBinop(op, vl, vr);
    if (returnBool) {
      value = keep ? 1 : 0;
    } else if (!keep) continue;
    let metric = resultMetric(ls.labels, rs.labels, op, matching);
    if (returnBool) metric = dropName(metric);
    const inserted = matchedSigs.get(key);
    if (matching.card === 'one-to-one') {
      if (inserted !== undefined) {
        throw new VigilError(
          'parse',
          'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
        );
      }
      matchedSigs.set(key, null);
    } else {
      const insertKey = signatureFunc(false, [])(metric) + (metric[metricNameLabel] ?? '');
      let set = inserted;
      if (!set) {
        set = new Set();
        matchedSigs.set(key, set);
      } else if (set.has(insertKey)) {
        throw new VigilError(
          'parse',
          'multiple matches for labels: grouping labels must ensure unique results',
        );
      }
      set.add(insertKey);
    }
    out.push({ labels: metric, v: value });
  }
  return out;
}

function setOp(
  op: 'and' | 'or' | 'unless',
  lhs: readonly Sample[],
  rhs: readonly Sample[],
  matching: VectorMatching,
): Sample[] {
  const sig = signatureFunc(matching.on, matching.labels);
  switch (op) {
    case 'and': {
      if (lhs.length === 0 || rhs.length === 0) return [];
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => right.has(sig(s.labels)));
    }
    case 'or': {
      const left = new Set(lhs.map((s) => sig(s.labels)));
      return [...lhs, ...rhs.filter((s) => !left.has(sig(s.labels)))];
    }
    case 'unless': {
      if (rhs.length === 0) return [...lhs];
      const right = new Set(rhs.map((s) => sig(s.labels)));
      return lhs.filter((s) => !right.has(sig(s.labels)));
    }
  }
}
