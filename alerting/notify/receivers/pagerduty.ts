import { createHash } from 'node:crypto';
import type { Notification, Receiver } from '../types.ts';
import type { PagerDutyConfig } from './config.ts';
import { type HttpDeps, postJSON, truncateRunes } from './http.ts';
import { forIntegration } from './send-resolved.ts';
import type { NotifyTemplate, TemplateInput } from './template.ts';

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/),
 * the message Alertmanager's notify/pagerduty builds: `trigger` while any alert of the group
 * fires, `resolve` when the group resolves, with a `dedup_key` that is the SHA-256 (hex) of the
 * group key. The group key is stable across restarts, so a restarted vigil triggers the same
 * incident again (which PagerDuty deduplicates) instead of opening a second one.
 */

/** PagerDuty refuses a summary longer than 1024 characters; Alertmanager cuts it there. */
export const maxSummaryRunes = 1024;
/** PagerDuty's limit on one event; Alertmanager drops custom_details past it. */
export const maxEventBytes = 512_000;

export interface PagerDutyEvent {
  routing_key: string;
  dedup_key: string;
  event_action: 'trigger' | 'resolve';
  payload: {
    summary: string;
    source: string;
    severity: string;
    class?: string;
    component?: string;
    group?: string;
    custom_details?: Record<string, string>;
  };
  client?: string;
  client_url?: string;
  images?: { src: string; alt?: string; href?: string }[];
  links?: { href: string; text?: string }[];
}

/** Alertmanager's key.Hash(): the dedup key of an alert group. */
export function dedupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

/**
 * The event for one notification, or undefined when nothing is to be sent (a resolve with
 * send_resolved off). Pure: a test compares it field by field.
 */
export function pagerDutyEvent(
  config: PagerDutyConfig,
  receiver: string,
  notification: Notification,
): PagerDutyEvent | undefined {
  const n = forIntegration(notification, config.send_resolved);
  if (!n) return undefined;
  const input: TemplateInput = { receiver, notification: n };
  const t = (tmpl: NotifyTemplate | undefined) => (tmpl ? tmpl.expand(input) : '');
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.details)) details[k] = v.expand(input);
  const event: PagerDutyEvent = {
    routing_key: config.routing_key.reveal(),
    dedup_key: dedupKey(n.groupKey),
    event_action: n.status === 'firing' ? 'trigger' : 'resolve',
    payload: {
      summary: truncateRunes(t(config.description), maxSummaryRunes).text,
      source: t(config.source),
      severity: t(config.severity) || 'error',
      ...omitEmpty({ class: t(config.class), component: t(config.component), group: t(config.group) }),
      ...(Object.keys(details).length > 0 ? { custom_details: details } : {}),
    },
    ...omitEmpty({ client: t(config.client), client_url: t(config.client_url) }),
  };
  const images = config.images
    .map((i) => ({ src: i.src, ...omitEmpty({ alt: i.alt, href: i.href }) }))
    .filter((i) => i.src !== '');
  const links = config.links
    .map((l) => ({ href: l.href, ...omitEmpty({ text: l.text }) }))
    .filter((l) => l.href !== '');
  if (images.length > 0) event.images = images;
  if (links.length > 0) event.links = links;
  if (Buffer.byteLength(JSON.stringify(event)) > maxEventBytes && event.payload.custom_details) {
    event.payload.custom_details = {
      error: 'Custom details have been removed because the original event exceeds the maximum size of 512KB',
    };
  }
  return event;
}

function omitEmpty<T extends Record<string, string>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== '') (out as Record<string, string>)[k] = v;
  return out;
}

/**
 * The endpoint to post to: the configured `url` as Alertmanager takes it (a full
 * `.../v2/enqueue` URL), or `/v2/enqueue` under it when only a base such as
 * `https://events.eu.pagerduty.com` is given.
 */
export function enqueueURL(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/v2/enqueue';
  return parsed.toString();
}

/**
 * @example
 * const receiver = pagerDutyReceiver('ops', config, {});
 * await receiver.send(notification, AbortSignal.timeout(10_000));
 */
export function pagerDutyReceiver(name: string, config: PagerDutyConfig, deps: HttpDeps): Receiver {
  const url = enqueueURL(config.url);
  return {
    name,
    kind: 'pagerduty',
    async send(notification, signal) {
      const event = pagerDutyEvent(config, name, notification);
      if (!event) return;
      await postJSON(`pagerduty receiver "${name}"`, url, event, signal, deps);
    },
  };
}
