/**
 * Label sets: the identity of a time series. The scraper, the embedded store, the agent and the
 * rules all pass the same shape around, a plain frozen-by-convention record from label name to
 * value, so that no part needs to convert between representations.
 *
 * Naming rules are Prometheus' "legacy" ones, which every Prometheus version and every remote
 * store accepts: label names `[a-zA-Z_][a-zA-Z0-9_]*`, metric names additionally allow `:`.
 * Names starting with `__` are reserved for internal use (`__name__`, `__address__`, `__meta_*`
 * during relabeling) and never reach storage except `__name__`.
 */

/** A label set. An absent label and a label with an empty value mean the same in Prometheus. */
export type Labels = Readonly<Record<string, string>>;

/** The label that carries the metric name when a series is written as one label set. */
export const metricNameLabel = '__name__';

/** The shared empty label set; frozen so that a caller cannot mutate everyone's copy. */
export const emptyLabels: Labels = Object.freeze({});

/**
 * True for a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
 *
 * @example
 * isValidLabelName('status_code'); // true
 * isValidLabelName('status-code'); // false
 */
export function isValidLabelName(name: string): boolean {
  return isValidName(name, false);
}

/**
 * True for a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. Colons are meant for recording
 * rules (`job:http_requests:rate5m`); exporters should not use them.
 *
 * @example
 * isValidMetricName('http_requests_total'); // true
 * isValidMetricName('2xx_total'); // false
 */
export function isValidMetricName(name: string): boolean {
  return isValidName(name, true);
}

/**
 * True for names reserved for internal use (`__` prefix).
 *
 * @example
 * isReservedLabelName('__address__'); // true
 */
export function isReservedLabelName(name: string): boolean {
  return name.length >= 2 && name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95;
}

// Char-code scanning rather than a regex: these run once per label of every scraped sample.
function isValidName(name: string, colon: boolean): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (colon && c === 58);
    if (letter) continue;
    if (i > 0 && c >= 48 && c <= 57) continue;
    return false;
  }
  return true;
}

/**
 * Replaces every character not allowed in a metric name with `_` (and prefixes `_` when the
 * first character is a digit), as Prometheus exporters do when adapting foreign names.
 *
 * @example
 * sanitizeMetricName('redis.commands-processed'); // 'redis_commands_processed'
 */
export function sanitizeMetricName(name: string): string {
  return sanitize(name, true);
}

/**
 * Like {@link sanitizeMetricName}, for label names (no `:`).
 *
 * @example
 * sanitizeLabelName('k8s.pod'); // 'k8s_pod'
 */
export function sanitizeLabelName(name: string): string {
  return sanitize(name, false);
}

function sanitize(name: string, colon: boolean): string {
  if (isValidName(name, colon)) return name;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const c = name.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      c === 95 ||
      (colon && c === 58) ||
      (c >= 48 && c <= 57);
    out += ok ? ch : '_';
  }
  if (out === '' || (out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57)) out = `_${out}`;
  return out;
}

/**
 * The canonical string form of a label set: the store's map key and the human-readable name of
 * a series. Labels are sorted by name; values are quoted and escaped as in the text exposition
 * format, so two label sets have the same key exactly when they are equal. When `__name__` holds
 * a valid metric name it is written in front, giving the familiar `up{instance="a:9100",job="node"}`.
 *
 * @example
 * labelsKey({ job: 'node', __name__: 'up', instance: 'a:9100' }); // 'up{instance="a:9100",job="node"}'
 * labelsKey({}); // '{}'
 */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels);
  // Insertion sort: label sets are small (usually under 10), and this avoids the comparator
  // call overhead of Array.prototype.sort on the store's hottest path.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  const name = labels[metricNameLabel];
  const nameInFront = name !== undefined && isValidMetricName(name);
  let out = nameInFront ? `${name}{` : '{';
  let first = true;
  for (const k of keys) {
    if (nameInFront && k === metricNameLabel) continue;
    if (!first) out += ',';
    first = false;
    out += isValidLabelName(k) ? k : `"${escapeLabelValue(k)}"`;
    out += `="${escapeLabelValue(labels[k]!)}"`;
  }
  return `${out}}`;
}

const needsEscape = /[\\"\n]/;

/**
 * Escapes a label value for the text formats: backslash, double quote and newline.
 *
 * @example
 * escapeLabelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 */
export function escapeLabelValue(value: string): string {
  if (!needsEscape.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92) out += '\\\\';
    else if (c === 34) out += '\\"';
    else if (c === 10) out += '\\n';
    else out += value[i];
  }
  return out;
}

/**
 * True when both label sets hold the same names with the same values.
 *
 * @example
 * labelsEqual({ a: '1', b: '2' }, { b: '2', a: '1' }); // true
 */
export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  }
  return true;
}

/**
 * The label set without `__name__`: what PromQL keeps after most functions and aggregations.
 *
 * @example
 * withoutName({ __name__: 'up', job: 'node' }); // { job: 'node' }
 */
export function withoutName(labels: Labels): Labels {
  if (!Object.hasOwn(labels, metricNameLabel)) return labels;
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) if (k !== metricNameLabel) setLabel(out, k, labels[k]!);
  return out;
}

/**
 * The label set with `__name__` set to `name`: how a sample's name and labels become the one
 * label set that identifies its series.
 *
 * @example
 * withName({ job: 'node' }, 'up'); // { __name__: 'up', job: 'node' }
 */
export function withName(labels: Labels, name: string): Labels {
  const out: Record<string, string> = { [metricNameLabel]: name };
  for (const k of Object.keys(labels)) if (k !== metricNameLabel) setLabel(out, k, labels[k]!);
  return out;
}

/**
 * The label set without labels whose value is empty. Prometheus treats `x=""` as "no label x",
 * so the store normalizes before keying to keep `up{a=""}` and `up` one series.
 *
 * @example
 * withoutEmpty({ a: '', b: '1' }); // { b: '1' }
 */
export function withoutEmpty(labels: Labels): Labels {
  let empty = false;
  for (const k in labels) {
    if (labels[k] === '') {
      empty = true;
      break;
    }
  }
  if (!empty) return labels;
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels)) if (labels[k] !== '') setLabel(out, k, labels[k]!);
  return out;
}

/**
 * Sets a label on a record being built, including the name `__proto__`, which a plain
 * assignment would turn into a prototype change and silently lose.
 */
export function setLabel(target: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[name] = value;
  }
}
