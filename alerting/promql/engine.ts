import { VigilError } from '../../core/index.ts';
import {
  type InstantReader,
  type InstantSample,
  isStaleNaN,
  type Labels,
  labelsKey,
  lowerBound,
  metricNameLabel,
  type Queryable,
  type SeriesData,
  upperBound,
  type WindowReader,
} from '../store/index.ts';
import { aggregate } from './aggregate.ts';
import type { AtModifier, Expr, MatrixSelector, Subquery, VectorSelector } from './ast.ts';
import { scalarScalar, vectorScalar, vectorVector } from './binary.ts';
import {
  extrapolatedRateFromSummary,
  keepsName,
  type RangeContext,
  rangeFunctions,
  summaryRangeFunctions,
  vectorFunctions,
} from './functions.ts';
import { checkUniqueLabelsets, dropName, type Sample, type Series, type Value } from './values.ts';

/**
 * Evaluates vigil's PromQL AST against a Queryable, with Prometheus 2.42's semantics: a 5m
 * lookback closed at both ends, staleness markers ending a series, range windows
 * `[t - range, t]` closed at both ends, subquery steps aligned to multiples of the step, and
 * `@` / `offset` moving the reference time. Pure: time is an argument, the store is read only.
 *
 * A range query is evaluated as an instant query at each step, which is the definition
 * Prometheus gives; selectors are fetched once per query and searched per step.
 */

export interface EngineOptions {
  /** How far back an instant selector looks for a sample (Prometheus: 5m). */
  lookbackMs: number;
  /** The step of a subquery written without one (Prometheus: the global evaluation interval). */
  defaultSubqueryStepMs: number;
  /**
   * Values computed ahead for some nodes of the tree: when it answers for a node at a time,
   * that answer is used instead of evaluating the node. A backtest computes the parts of its
   * rules that read only loaded data for many steps at once (alerting/promql/batch.ts);
   * an answer must be the one the node would have given.
   */
  precomputed?: ((expr: Expr, t: number) => Value | undefined) | undefined;
}

export const defaultEngineOptions: EngineOptions = { lookbackMs: 5 * 60_000, defaultSubqueryStepMs: 60_000 };

/** A range query's result: one series per label set, points at the steps where it had a value. */
export interface RangeResult {
  type: 'matrix' | 'scalar';
  series: Series[];
}

interface Run {
  start: number;
  end: number;
  cache: Map<VectorSelector, { mint: number; maxt: number; data: SeriesData[] }>;
  readers: Map<VectorSelector, WindowReader[]>;
  instantReaders: Map<VectorSelector, InstantReader[]>;
}

export class Engine {
  readonly options: EngineOptions;
  /** Where instant readers write each sample: one object reused, not one per series. */
  private readonly latest: InstantSample = { t: 0, v: 0 };

  constructor(
    private readonly store: Queryable,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...defaultEngineOptions, ...options };
  }

  /**
   * Evaluates an expression at one time (ms).
   *
   * @example
   * const value = engine.instant(parseExpr('up == 0'), Date.now());
   */
  instant(expr: Expr, t: number): Value {
    const run: Run = { start: t, end: t, cache: new Map(), readers: new Map(), instantReaders: new Map() };
    return this.eval(expr, t, run);
  }

  /** Evaluates an expression at every step from start to end (ms, inclusive). */
  range(expr: Expr, start: number, end: number, step: number): RangeResult {
    if (step <= 0)
      throw new VigilError('parse', 'zero or negative query resolution step widths are not accepted');
    if (end < start) throw new VigilError('parse', 'end timestamp must not be before start time');
    const run: Run = { start, end, cache: new Map(), readers: new Map(), instantReaders: new Map() };
    const byKey = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
    let scalar = false;
    for (let t = start; t <= end; t += step) {
      const value = this.eval(expr, t, run);
      if (value.type === 'scalar') {
        scalar = true;
        addPoint(byKey, {}, t, value.v);
      } else if (value.type === 'vector') {
        for (const s of value.samples) {
          const series = addPoint(byKey, s.labels, t, s.v);
          if (series.t.length >= 2 && series.t[series.t.length - 2] === t) {
            throw new VigilError('parse', 'vector cannot contain metrics with the same labelset');
          }
        }
      } else {
        throw new VigilError(
          'parse',
          `invalid expression type "${value.type === 'matrix' ? 'range vector' : 'string'}" for range query, must be Scalar or instant Vector`,
        );
      }
    }
    const series = [...byKey.values()].sort((a, b) => compareLabels(a.labels, b.labels));
    return { type: scalar ? 'scalar' : 'matrix', series };
  }

  private eval(expr: Expr, t: number, run: Run): Value {
    if (this.options.precomputed) {
      const known = this.options.precomputed(expr, t);
      if (known) return known;
    }
    switch (expr.kind) {
      case 'number':
        return { type: 'scalar', v: expr.value };
      case 'string':
        return { type: 'string', s: expr.value };
      case 'paren':
        return this.eval(expr.expr, t, run);
      case 'vector':
        return { type: 'vector', samples: this.vectorSelector(expr, t, run, false) };
      case 'matrix':
        return this.matrixSelector(expr, t, run);
      case 'subquery':
        return this.subquery(expr, t, run);
      case 'unary': {
        const v = this.eval(expr.expr, t, run);
        if (expr.op === '+') return v;
        if (v.type === 'scalar') return { type: 'scalar', v: -v.v };
        if (v.type !== 'vector') throw new VigilError('internal', 'unary minus on a non-vector');
        const samples = v.samples.map((s) => ({ labels: dropName(s.labels), v: -s.v }));
        checkUniqueLabelsets(samples);
        return { type: 'vector', samples };
      }
      case 'binary':
        return this.binary(expr, t, run);
      case 'aggregate': {
        const input = this.vector(expr.expr, t, run);
        let param: number | string | undefined;
        if (expr.param) {
          const p = this.eval(expr.param, t, run);
          param = p.type === 'string' ? p.s : p.type === 'scalar' ? p.v : undefined;
        }
        return { type: 'vector', samples: aggregate(expr.op, input, expr.grouping, expr.without, param) };
      }
      case 'call':
        return this.call(expr, t, run);
    }
  }

  private vector(expr: Expr, t: number, run: Run): Sample[] {
    const v = this.eval(expr, t, run);
    if (v.type !== 'vector') throw new VigilError('internal', `expected an instant vector, got ${v.type}`);
    return v.samples;
  }

  private binary(expr: Extract<Expr, { kind: 'binary' }>, t: number, run: Run): Value {
    const lhs = this.eval(expr.lhs, t, run);
    const rhs = this.eval(expr.rhs, t, run);
    if (lhs.type === 'scalar' && rhs.type === 'scalar') {
      return { type: 'scalar', v: scalarScalar(expr.op, lhs.v, rhs.v, expr.returnBool) };
    }
    let samples: Sample[];
    if (lhs.type === 'vector' && rhs.type === 'vector') {
      samples = vectorVector(expr.op, lhs.samples, rhs.samples, expr.matching!, expr.returnBool);
    } else if (lhs.type === 'vector' && rhs.type === 'scalar') {
      samples = vectorScalar(expr.op, lhs.samples, rhs.v, false, expr.returnBool);
    } else if (lhs.type === 'scalar' && rhs.type === 'vector') {
      samples = vectorScalar(expr.op, rhs.samples, lhs.v, true, expr.returnBool);
    } else {
      throw new VigilError('internal', 'binary operator on unexpected operand types');
    }
    checkUniqueLabelsets(samples);
    return { type: 'vector', samples };
  }

  /** The reference time of a selector or subquery: its `@` time (or t), minus its offset. */
  private refTime(at: AtModifier | undefined, offsetMs: number, t: number, run: Run): number {
    let base = t;
    if (at) base = at.kind === 'time' ? at.ms : at.kind === 'start' ? run.start : run.end;
    return base - offsetMs;
  }

  /** Series of a selector covering [mint, maxt], fetched once per query where possible. */
  private fetch(sel: VectorSelector, mint: number, maxt: number, t: number, run: Run): SeriesData[] {
    const cached = run.cache.get(sel);
    if (cached && cached.mint <= mint && cached.maxt >= maxt) return cached.data;
    // Later steps of this query reach at most (run.end - t) further; fetch that too at once.
    const lo = cached ? Math.min(cached.mint, mint) : mint;
    const hi = Math.max(cached?.maxt ?? maxt, maxt + (sel.at ? 0 : Math.max(0, run.end - t)));
    const data = this.store.select(sel.matchers, lo, hi);
    run.cache.set(sel, { mint: lo, maxt: hi, data });
    return data;
  }

  private vectorSelector(sel: VectorSelector, t: number, run: Run, keepTimestamps: boolean): Sample[] {
    const ref = this.refTime(sel.at, sel.offsetMs, t, run);
    const mint = ref - this.options.lookbackMs;
    if (this.store.instantReaders) return this.selectorFromReaders(sel, ref, mint, run, keepTimestamps);
    const out: Sample[] = [];
    for (const series of this.fetch(sel, mint, ref, t, run)) {
      const i = upperBound(series.t, ref) - 1;
      if (i < 0) continue;
      const ts = series.t[i]!;
      if (ts < mint) continue;
      const v = series.v[i]!;
      if (isStaleNaN(v)) continue;
      out.push(keepTimestamps ? { labels: series.labels, v, t: ts } : { labels: series.labels, v });
    }
    return out;
  }

  /**
   * An instant selector read by binary search in the store's chunks: the fetch path copies
   * every series' lookback window per evaluation, which a rule backtest repeats hundreds of
   * thousands of times (bench/rules-backtest.ts). Same answers as the fetch path
   * (test/alerting/promql/instant-readers.test.ts).
   */
  private selectorFromReaders(
    sel: VectorSelector,
    ref: number,
    mint: number,
    run: Run,
    keepTimestamps: boolean,
  ): Sample[] {
    let readers = run.instantReaders.get(sel);
    if (!readers) {
      readers = this.store.instantReaders!(sel.matchers);
      run.instantReaders.set(sel, readers);
    }
    const latest = this.latest;
    const out: Sample[] = [];
    for (const reader of readers) {
      // A stale latest sample ends the series here: no looking further back.
      if (!reader.sampleAt(ref, mint, latest) || isStaleNaN(latest.v)) continue;
      out.push(
        keepTimestamps
          ? { labels: reader.labels, v: latest.v, t: latest.t }
          : { labels: reader.labels, v: latest.v },
      );
    }
    return out;
  }

  private matrixSelector(expr: MatrixSelector, t: number, run: Run): Value {
    const sel = expr.selector;
    const ref = this.refTime(sel.at, sel.offsetMs, t, run);
    const mint = ref - expr.rangeMs;
    const series: Series[] = [];
    for (const data of this.fetch(sel, mint, ref, t, run)) {
      const from = lowerBound(data.t, mint);
      const to = upperBound(data.t, ref);
      if (to <= from) continue;
      let stale = false;
      for (let i = from; i < to; i++) {
        const v = data.v[i]!;
        if (Number.isNaN(v) && isStaleNaN(v)) {
          stale = true;
          break;
        }
      }
      if (!stale) {
        // Views, not copies: the windows of a 3d rate hold tens of thousands of samples
        // (bench/alerting-rules.ts).
        series.push({ labels: data.labels, t: data.t.subarray(from, to), v: data.v.subarray(from, to) });
        continue;
      }
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = from; i < to; i++) {
        const v = data.v[i]!;
        if (isStaleNaN(v)) continue;
        ts.push(data.t[i]!);
        vs.push(v);
      }
      if (ts.length > 0) series.push({ labels: data.labels, t: ts, v: vs });
    }
    return { type: 'matrix', series, rangeStart: mint, rangeEnd: ref, rangeMs: expr.rangeMs };
  }

  /**
   * rate(), increase() or delta() of a matrix selector from window summaries: the store
   * reads the chunks a window spans instead of copying its samples (store/window.ts). The
   * answers are those of the range-function path, which a store without readers takes.
   */
  private rateFromSummaries(
    expr: MatrixSelector,
    t: number,
    run: Run,
    isCounter: boolean,
    isRate: boolean,
  ): Value {
    const sel = expr.selector;
    let readers = run.readers.get(sel);
    if (!readers) {
      readers = this.store.windowReaders!(sel.matchers);
      run.readers.set(sel, readers);
    }
    const ref = this.refTime(sel.at, sel.offsetMs, t, run);
    const ctx: RangeContext = {
      evalTime: t,
      rangeStart: ref - expr.rangeMs,
      rangeEnd: ref,
      rangeMs: expr.rangeMs,
    };
    const out: Sample[] = [];
    for (const reader of readers) {
      const summary = reader.window(ctx.rangeStart, ref);
      if (summary === undefined) continue;
      const v = extrapolatedRateFromSummary(summary, ctx, isCounter, isRate);
      if (v !== undefined) out.push({ labels: reader.labelsWithoutName, v });
    }
    // Dropping the name can only make two series equal when the selector allows several names.
    if (!sel.matchers.some((m) => m.name === metricNameLabel && m.type === '=')) checkUniqueLabelsets(out);
    return { type: 'vector', samples: out };
  }

  private subquery(expr: Subquery, t: number, run: Run): Value {
    const step = expr.stepMs > 0 ? expr.stepMs : this.options.defaultSubqueryStepMs;
    const ref = this.refTime(expr.at, expr.offsetMs, t, run);
    const mint = ref - expr.rangeMs;
    // The first step is the first multiple of `step` at or after the window's start.
    let first = Math.trunc(mint / step) * step;
    if (first < mint) first += step;
    const byKey = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
    for (let ts = first; ts <= ref; ts += step) {
      for (const s of this.vector(expr.expr, ts, run)) addPoint(byKey, s.labels, ts, s.v);
    }
    return {
      type: 'matrix',
      series: [...byKey.values()],
      rangeStart: mint,
      rangeEnd: ref,
      rangeMs: expr.rangeMs,
    };
  }

  private call(expr: Extract<Expr, { kind: 'call' }>, t: number, run: Run): Value {
    const name = expr.func;
    switch (name) {
      case 'time':
        return { type: 'scalar', v: t / 1000 };
      case 'pi':
        return { type: 'scalar', v: Math.PI };
      case 'vector': {
        const v = this.eval(expr.args[0]!, t, run);
        return { type: 'vector', samples: [{ labels: {}, v: v.type === 'scalar' ? v.v : Number.NaN }] };
      }
      case 'scalar': {
        const samples = this.vector(expr.args[0]!, t, run);
        return { type: 'scalar', v: samples.length === 1 ? samples[0]!.v : Number.NaN };
      }
      case 'timestamp': {
        const arg = unwrapParens(expr.args[0]!);
        // A bare selector gives its samples' own timestamps; anything else the evaluation time.
        const samples =
          arg.kind === 'vector' ? this.vectorSelector(arg, t, run, true) : this.vector(arg, t, run);
        const out = samples.map((s) => ({ labels: dropName(s.labels), v: (s.t ?? t) / 1000 }));
        checkUniqueLabelsets(out);
        return { type: 'vector', samples: out };
      }
      case 'absent': {
        const samples = this.vector(expr.args[0]!, t, run);
        if (samples.length > 0) return { type: 'vector', samples: [] };
        return { type: 'vector', samples: [{ labels: absentLabels(expr.args[0]!), v: 1 }] };
      }
      case 'absent_over_time': {
        const m = this.eval(expr.args[0]!, t, run);
        if (m.type === 'matrix' && m.series.length > 0) return { type: 'vector', samples: [] };
        return { type: 'vector', samples: [{ labels: absentLabels(expr.args[0]!), v: 1 }] };
      }
    }
    const summarized = summaryRangeFunctions[name];
    const arg = expr.args[0];
    if (summarized && arg?.kind === 'matrix' && this.store.windowReaders) {
      return this.rateFromSummaries(arg, t, run, summarized[0], summarized[1]);
    }
    const rangeFn = rangeFunctions[name];
    if (rangeFn) {
      const scalars: number[] = [];
      let matrix: Value | undefined;
      for (const arg of expr.args) {
        const v = this.eval(arg, t, run);
        if (v.type === 'matrix') matrix = v;
        else if (v.type === 'scalar') scalars.push(v.v);
      }
      if (matrix?.type !== 'matrix') throw new VigilError('internal', `${name} without a range vector`);
      const ctx: RangeContext = {
        evalTime: t,
        rangeStart: matrix.rangeStart,
        rangeEnd: matrix.rangeEnd,
        rangeMs: matrix.rangeMs,
      };
      const out: Sample[] = [];
      const keep = keepsName.has(name);
      for (const series of matrix.series) {
        if (series.t.length === 0) continue;
        const v = rangeFn(series, ctx, scalars);
        if (v === undefined) continue;
        out.push({ labels: keep ? series.labels : dropName(series.labels), v });
      }
      checkUniqueLabelsets(out);
      return { type: 'vector', samples: out };
    }
    const vectorFn = vectorFunctions[name];
    if (vectorFn) {
      let samples: Sample[] = [];
      let sawVector = false;
      const scalars: number[] = [];
      const strings: string[] = [];
      for (const arg of expr.args) {
        const v = this.eval(arg, t, run);
        if (v.type === 'vector') {
          samples = v.samples;
          sawVector = true;
        } else if (v.type === 'scalar') scalars.push(v.v);
        else if (v.type === 'string') strings.push(v.s);
      }
      // The date functions default to vector(time()).
      if (!sawVector) samples = [{ labels: {}, v: t / 1000 }];
      const out = vectorFn(samples, scalars, strings);
      checkUniqueLabelsets(out);
      return { type: 'vector', samples: out };
    }
    throw new VigilError('parse', `function "${name}" is not supported by vigil`);
  }
}

function unwrapParens(expr: Expr): Expr {
  let e = expr;
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** absent()'s output labels: the equality matchers of a selector argument, except the name. */
function absentLabels(arg: Expr): Labels {
  const e = unwrapParens(arg);
  const sel = e.kind === 'vector' ? e : e.kind === 'matrix' ? e.selector : undefined;
  if (!sel) return {};
  const out: Record<string, string> = {};
  const duplicated = new Set<string>();
  for (const m of sel.matchers) {
    if (m.type !== '=' || m.name === metricNameLabel) continue;
    if (m.name in out) duplicated.add(m.name);
    out[m.name] = m.value;
  }
  for (const name of duplicated) delete out[name];
  return out;
}

function addPoint(
  byKey: Map<string, { labels: Labels; t: number[]; v: number[] }>,
  labels: Labels,
  t: number,
  v: number,
) {
  const key = labelsKey(labels);
  let series = byKey.get(key);
  if (!series) {
    series = { labels, t: [], v: [] };
    byKey.set(key, series);
  }
  series.t.push(t);
  series.v.push(v);
  return series;
}

/** Orders label sets as Prometheus' labels.Compare does: by sorted (name, value) pairs. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    if (an[i] !== bn[i]) return an[i]! < bn[i]! ? -1 : 1;
    const av = a[an[i]!]!;
    const bv = b[bn[i]!]!;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return an.length - bn.length;
}
