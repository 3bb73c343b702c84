import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { durationSchema } from '../../../core/index.ts';
import { compileNotifyTemplate, type NotifyTemplate } from './template.ts';

/**
 * One entry of `receivers:` in Alertmanager's own configuration shape, so a team's
 * alertmanager.yml receivers move in unchanged: `name` plus `pagerduty_configs` (Events API
 * v2), `webhook_configs` and `slack_configs`, each with `send_resolved` and Alertmanager's
 * defaults. Templates are compiled and `*_file` secrets read here, at load, so a typo fails
 * the config instead of a page. Integrations vigil does not have (email_configs,
 * opsgenie_configs, ...) and fields it does not implement (http_config, service_key) are
 * refused by name: zod objects are strict.
 */

/**
 * A secret from the config (routing key, webhook URL). It prints as `<secret>` in logs, JSON
 * and inspect, as Alertmanager's Secret type does; only a receiver's send reads it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '<secret>';
  }

  toString(): string {
    return '<secret>';
  }

  [inspect.custom](): string {
    return '<secret>';
  }
}

/** Alertmanager's `global.pagerduty_url`: the Events API v2 endpoint. */
export const defaultPagerDutyURL = 'https://events.pagerduty.com/v2/enqueue';

const templateSchema = z.string().transform((text, ctx): NotifyTemplate => {
  try {
    return compileNotifyTemplate(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const template = (fallback?: string) =>
  fallback === undefined
    ? templateSchema.optional()
    : templateSchema.default(compileNotifyTemplate(fallback));

const httpURL = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  // The value may carry a token (Slack's URL is the secret), so it is never echoed.
  { error: 'expected an http:// or https:// URL' },
);

/**
 * A secret given inline (`key`) or in a file (`key_file`, read now and trimmed like
 * Alertmanager does); exactly one of them, unless `optional`.
 */
function secretPair<K extends string>(
  value: Record<string, unknown>,
  key: K,
  baseDir: string,
  ctx: z.RefinementCtx,
  validate?: (text: string) => string | undefined,
): Secret | undefined {
  const inline = value[key] as string | undefined;
  const file = value[`${key}_file`] as string | undefined;
  if (inline !== undefined && file !== undefined) {
    ctx.addIssue({ code: 'custom', message: `at most one of ${key} and ${key}_file`, path: [`${key}_file`] });
    return undefined;
  }
  if (inline !== undefined) return new Secret(inline);
  if (file === undefined) return undefined;
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    ctx.addIssue({
      code: 'custom',
      message: `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
      path: [`${key}_file`],
    });
    return undefined;
  }
  const problem = validate?.(text);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${path}: ${problem}`, path: [`${key}_file`] });
    return undefined;
  }
  return new Secret(text);
}

function checkURL(text: string): string | undefined {
  return httpURL.safeParse(text).success ? undefined : 'expected an http:// or https:// URL';
}

function missing(ctx: z.RefinementCtx, key: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message: `one of ${key} or ${key}_file is required`, path: [key] });
  return z.NEVER;
}

const pagerDutyImage = z.strictObject({
  src: z.string(),
  alt: z.string().default(''),
  href: z.string().default(''),
});
const pagerDutyLink = z.strictObject({ href: z.string(), text: z.string().default('') });

function pagerDutyConfig(baseDir: string) {
  return z
    .strictObject({
      send_resolved: z.boolean().default(true),
      routing_key: z.string().min(1).optional(),
      routing_key_file: z.string().min(1).optional(),
      url: httpURL.default(defaultPagerDutyURL),
      client: template('{{ template "pagerduty.default.client" . }}'),
      client_url: template('{{ template "pagerduty.default.clientURL" . }}'),
      description: template('{{ template "pagerduty.default.description" . }}'),
      severity: template('error'),
      source: template(),
      class: template(),
      component: template(),
      group: template(),
      details: z.record(z.string(), templateSchema).default({
        firing: compileNotifyTemplate('{{ template "pagerduty.default.firing" . }}'),
        resolved: compileNotifyTemplate('{{ template "pagerduty.default.resolved" . }}'),
        num_firing: compileNotifyTemplate('{{ .Alerts.Firing | len }}'),
        num_resolved: compileNotifyTemplate('{{ .Alerts.Resolved | len }}'),
      }),
      images: z.array(pagerDutyImage).default([]),
      links: z.array(pagerDutyLink).default([]),
      timeout: durationSchema.optional(),
    })
    .transform((c, ctx) => {
      const routingKey = secretPair(c, 'routing_key', baseDir, ctx) ?? missing(ctx, 'routing_key');
      const { routing_key: _, routing_key_file: __, ...rest } = c;
      // Alertmanager: source defaults to client.
      return { ...rest, routing_key: routingKey, source: c.source ?? c.client };
    });
}

function webhookConfig(baseDir: string) {
  return z
    .strictObject({
      send_resolved: z.boolean().default(true),
      url: httpURL.optional(),
      url_file: z.string().min(1).optional(),
      max_alerts: z.number().int().nonnegative().default(0),
      timeout: durationSchema.optional(),
    })
    .transform((c, ctx) => {
      const url = secretPair(c, 'url', baseDir, ctx, checkURL) ?? missing(ctx, 'url');
      const { url_file: _, ...rest } = c;
      return { ...rest, url };
    });
}

function slackConfig(baseDir: string) {
  return z
    .strictObject({
      send_resolved: z.boolean().default(false),
      api_url: httpURL.optional(),
      api_url_file: z.string().min(1).optional(),
      channel: template(),
      username: template('{{ template "slack.default.username" . }}'),
      icon_emoji: template('{{ template "slack.default.iconemoji" . }}'),
      icon_url: template('{{ template "slack.default.iconurl" . }}'),
      link_names: z.boolean().default(false),
      // Unset: Alertmanager's default, "danger" while firing and "good" when resolved.
      color: template(),
      title: template('{{ template "slack.default.title" . }}'),
      title_link: template('{{ template "slack.default.titlelink" . }}'),
      pretext: template('{{ template "slack.default.pretext" . }}'),
      text: template('{{ template "slack.default.text" . }}'),
      footer: template('{{ template "slack.default.footer" . }}'),
      fallback: template('{{ template "slack.default.fallback" . }}'),
      callback_id: template('{{ template "slack.default.callbackid" . }}'),
      image_url: template(),
      thumb_url: template(),
      mrkdwn_in: z.array(z.string()).default(['fallback', 'pretext', 'text']),
      timeout: durationSchema.optional(),
    })
    .transform((c, ctx) => {
      const apiURL = secretPair(c, 'api_url', baseDir, ctx, checkURL) ?? missing(ctx, 'api_url');
      const { api_url_file: _, ...rest } = c;
      return { ...rest, api_url: apiURL };
    });
}

/**
 * The schema of one `receivers:` entry; `*_file` paths are relative to `baseDir` (the
 * directory of the config file, as in Alertmanager).
 *
 * @example
 * const schema = z.strictObject({ receivers: z.array(makeReceiverSchema(dirname(file))) });
 */
export function makeReceiverSchema(baseDir: string) {
  return z.strictObject({
    name: z.string().min(1),
    pagerduty_configs: z.array(pagerDutyConfig(baseDir)).default([]),
    webhook_configs: z.array(webhookConfig(baseDir)).default([]),
    slack_configs: z.array(slackConfig(baseDir)).default([]),
  });
}

/** One `receivers:` entry, `*_file` paths relative to the working directory. */
export const receiverSchema = makeReceiverSchema(process.cwd());

export type ReceiverConfig = z.output<typeof receiverSchema>;
export type PagerDutyConfig = ReceiverConfig['pagerduty_configs'][number];
export type WebhookConfig = ReceiverConfig['webhook_configs'][number];
export type SlackConfig = ReceiverConfig['slack_configs'][number];
