import {
  type Labels,
  labelsKey,
  metricNameLabel,
  type WindowCursor,
  type WindowReader,
} from '../store/index.ts';
import { groupKey, groupLabels, nextMean } from './aggregate.ts';
import type { AggregateOp, BinaryOp, Expr, VectorMatching, VectorSelector } from './ast.ts';
import { isComparison } from './ast.ts';
import { arithmetic, compare, resultMetric, scalarScalar, signatureFunc } from './binary.ts';
import { extrapolatedRateFromParts, summaryRangeFunctions } from './functions.ts';
import { dropName, type Sample, type Value } from './values.ts';

/**
 * Batched evaluation of the parts of rule expressions that read only fixed data, for many
 * evaluation steps at once. A backtest evaluates its rules at every step of a week; the
 * expensive parts of an SLO rule, `sum by (job) (rate(requests[1h]))` and the like, read only
 * the loaded series, which do not change while the rules run. Computed a block of steps at a
 * time, the windows slide (store/window.ts WindowCursor) instead of being searched, each
 * series' group and match is found once per block instead of once per step, and the engine
 * takes the answer for the step through its `precomputed` hook. Everything else (rules that
 * read recorded series, alerts) is evaluated step by step as before, so a rule still sees what
 * earlier rules wrote.
 *
 * The answers are the engine's own, bit for bit and in the same order: the same functions
 * compute the values (extrapolatedRateFromParts, arithmetic and compare), aggregation adds in the same
 * series order, and where the step-by-step answer could differ (an ambiguous match, a group
 * order that changes from step to step) the node is not batched for that block and the engine
 * evaluates it itself. test/alerting/kinds/backtest-batch.test.ts compares both paths.
 *
 * Batched: rate/increase/delta of a selector of fixed data (with `offset`, without `@`);
 * sum/avg/min/max/count/group by or without over a batched vector; arithmetic and comparison
 * between a batched vector and a constant or (one-to-one) another batched vector; unary minus.
 */

/** Which selectors read fixed data: their metric name's series never change during the run. */
export interface BatchOptions {
  /** Metric names whose series are fixed while the batches are used. */
  fixedNames: ReadonlySet<string>;
  /** Steps computed at once (memory: series x steps x 9 bytes per batched node). */
  blockSteps?: number;
}

/** A node's values at the steps of one block: series-major, `present` marks a value. */
interface Columns {
  labels: Labels[];
  values: Float64Array;
  present: Uint8Array;
}

type Plan =
  | {
      kind: 'rate';
      key: string;
      selector: VectorSelector;
      rangeMs: number;
      isCounter: boolean;
      isRate: boolean;
    }
  | { kind: 'aggregate'; key: string; op: AggregateOp; grouping: string[]; without: boolean; input: Plan }
  | {
      kind: 'scalar-op';
      key: string;
      op: BinaryOp;
      returnBool: boolean;
      input: Plan;
      scalar: number;
      swap: boolean;
    }
  | {
      kind: 'vector-op';
      key: string;
      op: BinaryOp;
      returnBool: boolean;
      matching: VectorMatching;
      lhs: Plan;
      rhs: Plan;
    }
  | { kind: 'negate'; key: string; input: Plan };

const batchedAggregations = new Set<AggregateOp>(['sum', 'avg', 'min', 'max', 'count', 'group']);

/** The steps of one grid (a group's start and interval) and the batched nodes evaluated on it. */
interface Grid {
  start: number;
  end: number;
  stepMs: number;
  roots: Map<Expr, Plan>;
  block: number;
  /** This block's columns per root; null: not batched in this block. */
  results: Map<Expr, Columns | null>;
  blockStart: number;
  blockSteps: number;
}

/**
 * @example
 * const batches = new BatchedEvaluation(store, { fixedNames: new Set(['http_requests_total']) });
 * batches.add(rule.expr, { start, end, stepMs: 30_000 });
 * const engine = new Engine(store, { precomputed: batches.lookup });
 */
export class BatchedEvaluation {
  private readonly grids = new Map<string, Grid>();
  private readonly gridOf = new Map<Expr, Grid>();
  /**
   * Per grid and rate node: the window cursors by series, which carry on from block to block
   * (they only move forward, so each grid walks its own), and the node's columns, reused from
   * block to block (megabytes per block: reused rather than freed and zeroed by the collector
   * each time; per grid, since another grid's block may still be using them).
   */
  private readonly rateStates = new Map<
    string,
    { cursors: Map<Labels, WindowCursor>; values: Float64Array; present: Uint8Array }
  >();
  private readonly blockSteps: number;
  /** Batched selectors' metric names, which nothing may write while batches are used. */
  readonly namesRead = new Set<string>();

  constructor(
    private readonly store: { windowReaders(matchers: VectorSelector['matchers']): WindowReader[] },
    private readonly options: BatchOptions,
  ) {
    this.blockSteps = options.blockSteps ?? 720;
  }

  /**
   * Registers the largest batchable subexpressions of `expr`, to be answered at the steps
   * `start + i * stepMs` up to `end`. Returns how many it found.
   */
  add(expr: Expr, grid: { start: number; end: number; stepMs: number }): number {
    const gridKey = `${grid.start}/${grid.stepMs}`;
    let g = this.grids.get(gridKey);
    if (!g) {
      g = { ...grid, roots: new Map(), block: -1, results: new Map(), blockStart: 0, blockSteps: 0 };
      this.grids.set(gridKey, g);
    }
    g.end = Math.max(g.end, grid.end);
    return this.findRoots(expr, g);
  }

  private findRoots(expr: Expr, grid: Grid): number {
    // A subquery evaluates its inside at its own steps: leave it to the engine.
    if (expr.kind === 'subquery') return 0;
    const plan = this.plan(expr);
    if (plan && typeof plan !== 'number') {
      grid.roots.set(expr, plan);
      this.gridOf.set(expr, grid);
      return 1;
    }
    let found = 0;
    for (const child of children(expr)) found += this.findRoots(child, grid);
    return found;
  }

  /** A plan for a vector node, a number for a constant scalar, undefined when not batchable. */
  private plan(expr: Expr): Plan | number | undefined {
    switch (expr.kind) {
      case 'number':
        return expr.value;
      case 'paren':
        return this.plan(expr.expr);
      case 'unary': {
        const inner = this.plan(expr.expr);
        if (inner === undefined || expr.op === '+') return inner;
        if (typeof inner === 'number') return -inner;
        return { kind: 'negate', key: `-(${inner.key})`, input: inner };
      }
      case 'call': {
        const fn = summaryRangeFunctions[expr.func];
        const arg = expr.args[0];
        if (!fn || expr.args.length !== 1 || arg?.kind !== 'matrix') return undefined;
        const sel = arg.selector;
        const name = sel.matchers.find((m) => m.name === metricNameLabel && m.type === '=')?.value;
        if (sel.at || name === undefined || !this.options.fixedNames.has(name)) return undefined;
        this.namesRead.add(name);
        const matchers = sel.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',');
        return {
          kind: 'rate',
          key: `${expr.func}({${matchers}}[${arg.rangeMs}] offset ${sel.offsetMs})`,
          selector: sel,
          rangeMs: arg.rangeMs,
          isCounter: fn[0],
          isRate: fn[1],
        };
      }
      case 'aggregate': {
        if (!batchedAggregations.has(expr.op) || expr.param) return undefined;
        const input = this.plan(expr.expr);
        if (input === undefined || typeof input === 'number') return undefined;
        return {
          kind: 'aggregate',
          key: `${expr.op} ${expr.without ? 'without' : 'by'}(${expr.grouping.join(',')}) (${input.key})`,
          op: expr.op,
          grouping: expr.grouping,
          without: expr.without,
          input,
        };
      }
      case 'binary': {
        if (expr.op === 'and' || expr.op === 'or' || expr.op === 'unless') return undefined;
        const lhs = this.plan(expr.lhs);
        const rhs = this.plan(expr.rhs);
        if (lhs === undefined || rhs === undefined) return undefined;
        const op = `${expr.op}${expr.returnBool ? ' bool' : ''}`;
        if (typeof lhs === 'number' && typeof rhs === 'number')
          return scalarScalar(expr.op, lhs, rhs, expr.returnBool);
        if (typeof rhs === 'number' && typeof lhs !== 'number')
          return {
            kind: 'scalar-op',
            key: `(${lhs.key}) ${op} ${rhs}`,
            op: expr.op,
            returnBool: expr.returnBool,
            input: lhs,
            scalar: rhs,
            swap: false,
          };
        if (typeof lhs === 'number' && typeof rhs !== 'number')
          return {
            kind: 'scalar-op',
            key: `${lhs} ${op} (${rhs.key})`,
            op: expr.op,
            returnBool: expr.returnBool,
            input: rhs,
            scalar: lhs,
            swap: true,
          };
        const m = expr.matching;
        if (
          m?.card !== 'one-to-one' ||
          m.include.length > 0 ||
          typeof lhs === 'number' ||
          typeof rhs === 'number'
        )
          return undefined;
        return {
          kind: 'vector-op',
          key: `(${lhs.key}) ${op} ${m.on ? 'on' : 'ignoring'}(${m.labels.join(',')}) (${rhs.key})`,
          op: expr.op,
          returnBool: expr.returnBool,
          matching: m,
          lhs,
          rhs,
        };
      }
      default:
        return undefined;
    }
  }

  /** The engine's `precomputed` hook: a batched node's value at a step of its grid. */
  readonly lookup = (expr: Expr, t: number): Value | undefined => {
    const grid = this.gridOf.get(expr);
    if (!grid) return undefined;
    const offset = t - grid.start;
    if (offset < 0 || t > grid.end || offset % grid.stepMs !== 0) return undefined;
    const step = offset / grid.stepMs;
    const block = Math.floor(step / this.blockSteps);
    if (grid.block !== block) this.computeBlock(grid, block);
    const columns = grid.results.get(expr);
    if (!columns) return undefined;
    const k = step - block * this.blockSteps;
    const K = grid.blockSteps;
    const samples: Sample[] = [];
    for (let s = 0; s < columns.labels.length; s++) {
      if (columns.present[s * K + k])
        samples.push({ labels: columns.labels[s]!, v: columns.values[s * K + k]! });
    }
    return { type: 'vector', samples };
  };

  private computeBlock(grid: Grid, block: number): void {
    grid.block = block;
    grid.blockStart = grid.start + block * this.blockSteps * grid.stepMs;
    grid.blockSteps = Math.min(this.blockSteps, Math.floor((grid.end - grid.blockStart) / grid.stepMs) + 1);
    grid.results.clear();
    // Nodes that several rules share (the total of an SLI over a window) are computed once.
    const shared = new Map<string, Columns | null>();
    for (const [expr, plan] of grid.roots) grid.results.set(expr, this.columns(plan, grid, shared));
  }

  private columns(plan: Plan, grid: Grid, shared: Map<string, Columns | null>): Columns | null {
    const known = shared.get(plan.key);
    if (known !== undefined) return known;
    let out: Columns | null;
    switch (plan.kind) {
      case 'rate':
        out = this.rate(plan, grid);
        break;
      case 'aggregate': {
        const input = this.columns(plan.input, grid, shared);
        out = input && aggregateColumns(plan, input, grid.blockSteps);
        break;
      }
      case 'scalar-op': {
        const input = this.columns(plan.input, grid, shared);
        out = input && scalarOpColumns(plan, input);
        break;
      }
      case 'vector-op': {
        const lhs = this.columns(plan.lhs, grid, shared);
        const rhs = lhs && this.columns(plan.rhs, grid, shared);
        out = lhs && rhs && vectorOpColumns(plan, lhs, rhs, grid.blockSteps);
        break;
      }
      case 'negate': {
        const input = this.columns(plan.input, grid, shared);
        out = input && negateColumns(input);
        break;
      }
    }
    shared.set(plan.key, out);
    return out;
  }

  private rate(plan: Extract<Plan, { kind: 'rate' }>, grid: Grid): Columns {
    const readers = this.store.windowReaders(plan.selector.matchers);
    const K = grid.blockSteps;
    const key = `${grid.start}/${grid.stepMs} ${plan.key}`;
    let state = this.rateStates.get(key);
    if (!state) {
      state = { cursors: new Map(), values: new Float64Array(0), present: new Uint8Array(0) };
      this.rateStates.set(key, state);
    }
    if (state.values.length !== readers.length * K) {
      state.values = new Float64Array(readers.length * K);
      state.present = new Uint8Array(readers.length * K);
    } else state.present.fill(0);
    const { cursors, values, present } = state;
    const { rangeMs, isCounter, isRate } = plan;
    const offsetMs = plan.selector.offsetMs;
    readers.forEach((reader, s) => {
      let cursor = cursors.get(reader.labels);
      if (!cursor) {
        cursor = reader.cursor();
        cursors.set(reader.labels, cursor);
      }
      for (let k = 0; k < K; k++) {
        const ref = grid.blockStart + k * grid.stepMs - offsetMs;
        const mint = ref - rangeMs;
        if (!cursor.moveTo(mint, ref)) continue;
        const v = extrapolatedRateFromParts(
          cursor.count,
          cursor.firstT,
          cursor.firstV,
          cursor.lastT,
          cursor.lastV,
          cursor.resets,
          cursor.resetFrom,
          cursor.resetTo,
          mint,
          ref,
          rangeMs,
          isCounter,
          isRate,
        );
        if (v === undefined) continue;
        values[s * K + k] = v;
        present[s * K + k] = 1;
      }
    });
    return { labels: readers.map((r) => r.labelsWithoutName), values, present };
  }
}

function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'paren':
    case 'unary':
      return [expr.expr];
    case 'binary':
      return [expr.lhs, expr.rhs];
    case 'aggregate':
      return expr.param ? [expr.param, expr.expr] : [expr.expr];
    case 'call':
      return expr.args;
    case 'matrix':
      return [expr.selector];
    default:
      return [];
  }
}

/** Null when two output series would share labels: the engine raises that error itself. */
function uniqueOrNull(columns: Columns): Columns | null {
  const seen = new Set<string>();
  for (const l of columns.labels) {
    const key = labelsKey(l);
    if (seen.has(key)) return null;
    seen.add(key);
  }
  return columns;
}

/**
 * aggregate() of promql/aggregate.ts over columns: groups found once per block, values
 * folded step by step in series order, with the same operations. Null when at some step the
 * groups would come out in another order than they do at the others (the engine's output
 * order is the order of first appearance at each step).
 */
function aggregateColumns(
  plan: Extract<Plan, { kind: 'aggregate' }>,
  input: Columns,
  K: number,
): Columns | null {
  const groupIndex = new Map<string, number>();
  const labels: Labels[] = [];
  const groupOf = new Int32Array(input.labels.length);
  input.labels.forEach((l, s) => {
    const out = groupLabels(l, plan.grouping, plan.without);
    const key = groupKey(out);
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = labels.length;
      groupIndex.set(key, g);
      labels.push(out);
    }
    groupOf[s] = g;
  });
  const G = labels.length;
  const value = new Float64Array(G * K);
  const mean = new Float64Array(G * K);
  const count = new Float64Array(G * K);
  const present = new Uint8Array(G * K);
  const n = input.labels.length;
  const op = plan.op;
  for (let k = 0; k < K; k++) {
    let lastNew = -1;
    for (let s = 0; s < n; s++) {
      if (!input.present[s * K + k]) continue;
      const v = input.values[s * K + k]!;
      const at = groupOf[s]! * K + k;
      if (!present[at]) {
        if (groupOf[s]! < lastNew) return null;
        lastNew = groupOf[s]!;
        present[at] = 1;
        value[at] = v;
        mean[at] = v;
        count[at] = 1;
        continue;
      }
      switch (op) {
        case 'sum':
          value[at] = value[at]! + v;
          break;
        case 'avg':
          mean[at] = nextMean(mean[at]!, ++count[at]!, v);
          break;
        case 'max':
          if (value[at]! < v || Number.isNaN(value[at]!)) value[at] = v;
          break;
        case 'min':
          if (value[at]! > v || Number.isNaN(value[at]!)) value[at] = v;
          break;
        case 'count':
          count[at]!++;
          break;
        default:
          break;
      }
    }
  }
  const out = op === 'avg' ? mean : op === 'count' ? count : op === 'group' ? value.fill(1) : value;
  return { labels, values: out, present };
}

function scalarOpColumns(plan: Extract<Plan, { kind: 'scalar-op' }>, input: Columns): Columns | null {
  const { op, scalar, swap, returnBool } = plan;
  const comparison = isComparison(op);
  const labels = input.labels.map((l) => (!comparison || returnBool ? dropName(l) : l));
  const values = new Float64Array(input.values.length);
  const present = new Uint8Array(input.values.length);
  for (let i = 0; i < values.length; i++) {
    if (!input.present[i]) continue;
    const v = input.values[i]!;
    // A comparison keeps the vector's value, on either side; binary.ts vectorScalar.
    let value = v;
    let keep = true;
    if (comparison) keep = swap ? compare(op, scalar, v) : compare(op, v, scalar);
    else value = swap ? arithmetic(op, scalar, v) : arithmetic(op, v, scalar);
    if (returnBool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    values[i] = value;
    present[i] = 1;
  }
  return uniqueOrNull({ labels, values, present });
}

/**
 * One-to-one vector matching over columns: each left series' partner found once per block.
 * Null when a signature repeats on either side, where the engine may raise an error at some
 * steps and not at others.
 */
function vectorOpColumns(
  plan: Extract<Plan, { kind: 'vector-op' }>,
  lhs: Columns,
  rhs: Columns,
  K: number,
): Columns | null {
  const sig = signatureFunc(plan.matching.on, plan.matching.labels);
  const right = new Map<string, number>();
  for (let r = 0; r < rhs.labels.length; r++) {
    const key = sig(rhs.labels[r]!);
    if (right.has(key)) return null;
    right.set(key, r);
  }
  const used = new Set<number>();
  const pairs: [number, number][] = [];
  const labels: Labels[] = [];
  for (let l = 0; l < lhs.labels.length; l++) {
    const r = right.get(sig(lhs.labels[l]!));
    if (r === undefined) continue;
    if (used.has(r)) return null;
    used.add(r);
    pairs.push([l, r]);
    const metric = resultMetric(lhs.labels[l]!, rhs.labels[r]!, plan.op, plan.matching);
    labels.push(plan.returnBool ? dropName(metric) : metric);
  }
  const values = new Float64Array(pairs.length * K);
  const present = new Uint8Array(pairs.length * K);
  const comparison = isComparison(plan.op);
  pairs.forEach(([l, r], p) => {
    for (let k = 0; k < K; k++) {
      if (!lhs.present[l * K + k] || !rhs.present[r * K + k]) continue;
      const left = lhs.values[l * K + k]!;
      const right = rhs.values[r * K + k]!;
      let value = left;
      let keep = true;
      if (comparison) keep = compare(plan.op, left, right);
      else value = arithmetic(plan.op, left, right);
      if (plan.returnBool) value = keep ? 1 : 0;
      else if (!keep) continue;
      values[p * K + k] = value;
      present[p * K + k] = 1;
    }
  });
  return uniqueOrNull({ labels, values, present });
}

function negateColumns(input: Columns): Columns | null {
  const values = new Float64Array(input.values.length);
  for (let i = 0; i < values.length; i++) values[i] = -input.values[i]!;
  return uniqueOrNull({ labels: input.labels.map(dropName), values, present: input.present });
}
