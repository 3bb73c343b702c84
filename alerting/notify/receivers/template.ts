import { VigilError } from '../../../core/index.ts';
import type { Labels } from '../../store/index.ts';
import type { Notification, NotifyAlert } from '../types.ts';

/**
 * The part of Alertmanager's notification templates that receivers' text fields need, compiled
 * once when the config is loaded and expanded purely per notification. Supported:
 * `{{ .Status }}`, `{{ .Receiver }}`, `{{ .ExternalURL }}`, `{{ .GroupKey }}`,
 * `{{ .GroupLabels.name }}`, `{{ .CommonLabels.name }}`, `{{ .CommonAnnotations.name }}`,
 * `{{ .Alerts | len }}`, `{{ .Alerts.Firing | len }}`, `{{ .Alerts.Resolved | len }}`, the
 * pipes `toUpper`, `toLower`, `title`, `urlquery`, `{{- -}}` trimming, and
 * `{{ template "NAME" . }}` for Alertmanager's default templates (`__subject`,
 * `__text_alert_list`, `slack.default.title`, `pagerduty.default.description`, ...). Anything
 * else (`range`, `if`, `define`, other functions) is refused at load, naming the construct,
 * rather than sent as literal braces to a pager at 3 a.m.
 */

/** What templates see: Alertmanager's template.Data. */
export interface TemplateInput {
  receiver: string;
  notification: Notification;
}

export interface NotifyTemplate {
  readonly source: string;
  expand(input: TemplateInput): string;
}

type Piece = { t: 'text'; text: string } | { t: 'expr'; get: (input: TemplateInput) => string };

const pipes: Record<string, (s: string) => string> = {
  toUpper: (s) => s.toUpperCase(),
  toLower: (s) => s.toLowerCase(),
  title: (s) => s.replace(/\b\w/g, (c) => c.toUpperCase()),
  urlquery: (s) => encodeURIComponent(s),
};

/** Alertmanager's default.tmpl, the definitions receivers' defaults refer to. */
export const defaultTemplates: Record<string, (input: TemplateInput) => string> = {
  __alertmanager: () => 'vigil',
  // Alertmanager links to its own UI (`/#/alerts?receiver=`); vigil's alerts page is the root.
  __alertmanagerURL: (i) => i.notification.externalURL,
  __subject: (i) => subject(i.notification),
  __description: () => '',
  __text_alert_list: (i) => textAlertList(i.notification.alerts),
  'slack.default.title': (i) => subject(i.notification),
  'slack.default.username': () => 'vigil',
  'slack.default.fallback': (i) => `${subject(i.notification)} | ${i.notification.externalURL}`,
  'slack.default.callbackid': () => '',
  'slack.default.pretext': () => '',
  'slack.default.titlelink': (i) => i.notification.externalURL,
  'slack.default.iconemoji': () => '',
  'slack.default.iconurl': () => '',
  'slack.default.text': () => '',
  'slack.default.footer': () => '',
  'pagerduty.default.description': (i) => subject(i.notification),
  'pagerduty.default.client': () => 'vigil',
  'pagerduty.default.clientURL': (i) => i.notification.externalURL,
  'pagerduty.default.instances': (i) => textAlertList(i.notification.alerts),
  'pagerduty.default.firing': (i) => textAlertList(firingAlerts(i.notification)),
  'pagerduty.default.resolved': (i) => textAlertList(resolvedAlerts(i.notification)),
};

export function firingAlerts(n: Notification): NotifyAlert[] {
  return n.alerts.filter((a) => a.endsAt === undefined);
}

export function resolvedAlerts(n: Notification): NotifyAlert[] {
  return n.alerts.filter((a) => a.endsAt !== undefined);
}

/**
 * Alertmanager's `__subject`: `[FIRING:2] alertname job (instance)`: the status, the number
 * firing, the group labels' values, and the common labels beyond the group's in brackets.
 */
export function subject(n: Notification): string {
  const status = n.status.toUpperCase() + (n.status === 'firing' ? `:${firingAlerts(n).length}` : '');
  const groupValues = sortedValues(n.groupLabels);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(n.commonLabels)) if (!(k in n.groupLabels)) extra[k] = v;
  let out = `[${status}] ${groupValues.join(' ')} `;
  if (Object.keys(n.commonLabels).length > Object.keys(n.groupLabels).length)
    out += `(${sortedValues(extra).join(' ')})`;
  return out;
}

/** Alertmanager's `__text_alert_list`: labels, annotations and source of each alert. */
export function textAlertList(alerts: readonly NotifyAlert[]): string {
  let out = '';
  for (const a of alerts) {
    out += 'Labels:\n';
    for (const k of Object.keys(a.labels).sort()) out += ` - ${k} = ${a.labels[k]}\n`;
    out += 'Annotations:\n';
    for (const k of Object.keys(a.annotations).sort()) out += ` - ${k} = ${a.annotations[k]}\n`;
    out += `Source: ${a.generatorURL}\n`;
  }
  return out;
}

function sortedValues(labels: Labels): string[] {
  return Object.keys(labels)
    .sort()
    .map((k) => labels[k]!);
}

const actionPattern = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;

/**
 * Compiles a template; throws VigilError('config') naming the unsupported construct.
 *
 * @example
 * compileNotifyTemplate('[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}')
 *   .expand({ receiver: 'ops', notification });
 */
export function compileNotifyTemplate(source: string): NotifyTemplate {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of source.matchAll(actionPattern)) {
    let text = source.slice(last, match.index);
    if (match[1] === '-') text = text.replace(/\s+$/, '');
    if (text) pieces.push({ t: 'text', text });
    pieces.push({ t: 'expr', get: compileAction(match[2]!) });
    last = match.index + match[0].length;
    if (match[3] === '-') {
      const rest = source.slice(last);
      last += rest.length - rest.replace(/^\s+/, '').length;
    }
  }
  if (source.slice(last).includes('{{'))
    throw new VigilError('config', `template "${source}": unclosed "{{"`);
  if (last < source.length) pieces.push({ t: 'text', text: source.slice(last) });
  return {
    source,
    expand(input) {
      let out = '';
      for (const p of pieces) out += p.t === 'text' ? p.text : p.get(input);
      return out;
    },
  };
}

function compileAction(action: string): (input: TemplateInput) => string {
  const templateCall = /^template\s+"([^"]+)"\s+\.$/.exec(action);
  if (templateCall) {
    const fn = defaultTemplates[templateCall[1]!];
    if (!fn) throw unsupported(action, `no template named "${templateCall[1]}"`);
    return fn;
  }
  const [head, ...rest] = action.split('|').map((s) => s.trim());
  if (!head) throw unsupported(action, 'empty action');
  const len = rest[0] === 'len';
  const value = compileField(head, action, len);
  const fns = (len ? rest.slice(1) : rest).map((name) => {
    const fn = pipes[name];
    if (!fn)
      throw unsupported(action, `function "${name}" (supported: len, ${Object.keys(pipes).join(', ')})`);
    return fn;
  });
  return (input) => fns.reduce((s, fn) => fn(s), value(input));
}

function compileField(head: string, action: string, len: boolean): (input: TemplateInput) => string {
  if (len) {
    if (head === '.Alerts') return (i) => String(i.notification.alerts.length);
    if (head === '.Alerts.Firing') return (i) => String(firingAlerts(i.notification).length);
    if (head === '.Alerts.Resolved') return (i) => String(resolvedAlerts(i.notification).length);
    throw unsupported(action, '"len" of anything but .Alerts, .Alerts.Firing, .Alerts.Resolved');
  }
  if (head === '.Status') return (i) => i.notification.status;
  if (head === '.Receiver') return (i) => i.receiver;
  if (head === '.ExternalURL') return (i) => i.notification.externalURL;
  if (head === '.GroupKey') return (i) => i.notification.groupKey;
  const map = /^\.(GroupLabels|CommonLabels|CommonAnnotations)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(head);
  if (map) {
    const field = {
      GroupLabels: 'groupLabels',
      CommonLabels: 'commonLabels',
      CommonAnnotations: 'commonAnnotations',
    }[map[1] as 'GroupLabels'] as 'groupLabels' | 'commonLabels' | 'commonAnnotations';
    const name = map[2]!;
    return (i) => i.notification[field][name] ?? '';
  }
  throw unsupported(action, `"${head}"`);
}

function unsupported(action: string, what: string): VigilError {
  return new VigilError(
    'config',
    `template action "{{ ${action} }}": unsupported ${what}; vigil's notification templates support ` +
      '.Status, .Receiver, .ExternalURL, .GroupKey, .GroupLabels.X, .CommonLabels.X, ' +
      '.CommonAnnotations.X, .Alerts(.Firing|.Resolved) | len, and template "NAME" . for the defaults',
  );
}
