/** alerting/promql: PromQL parsed with Prometheus' grammar and evaluated by vigil. */
export type { AtModifier, Expr, ValueType, VectorSelector } from './ast.ts';
export { typeOf } from './ast.ts';
export { BatchedEvaluation, type BatchOptions } from './batch.ts';
export {
  compareLabels,
  defaultEngineOptions,
  Engine,
  type EngineOptions,
  type RangeResult,
} from './engine.ts';
export { parseExpr, parseNumber } from './parse.ts';
export { refusedFunctions, signatures } from './signatures.ts';
export {
  cachedLabelsKey,
  formatFloatF,
  formatFloatG,
  type Sample,
  type Series,
  type Value,
} from './values.ts';
