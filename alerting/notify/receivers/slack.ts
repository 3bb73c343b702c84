import type { Notification, Receiver } from '../types.ts';
import type { SlackConfig } from './config.ts';
import { type HttpDeps, postJSON, truncateRunes } from './http.ts';
import { forIntegration } from './send-resolved.ts';
import type { NotifyTemplate, TemplateInput } from './template.ts';

/**
 * Slack incoming webhooks (https://api.slack.com/messaging/webhooks) with the message
 * Alertmanager's notify/slack builds: one attachment carrying title, text and a color by
 * status, plus channel, username and icon overrides.
 */

/** Slack cuts attachment titles at 1024 characters; Alertmanager truncates before sending. */
export const maxTitleRunes = 1024;

export interface SlackAttachment {
  title?: string;
  title_link?: string;
  pretext?: string;
  text: string;
  fallback: string;
  callback_id: string;
  image_url?: string;
  thumb_url?: string;
  footer: string;
  color?: string;
  mrkdwn_in?: string[];
}

export interface SlackMessage {
  channel?: string;
  username?: string;
  icon_emoji?: string;
  icon_url?: string;
  link_names?: boolean;
  attachments: SlackAttachment[];
}

/** The message for one notification, undefined when send_resolved leaves nothing to send. */
export function slackMessage(
  config: SlackConfig,
  receiver: string,
  notification: Notification,
): SlackMessage | undefined {
  const n = forIntegration(notification, config.send_resolved);
  if (!n) return undefined;
  const input: TemplateInput = { receiver, notification: n };
  const t = (tmpl: NotifyTemplate | undefined) => (tmpl ? tmpl.expand(input) : '');
  const attachment: SlackAttachment = {
    ...nonEmpty('title', truncateRunes(t(config.title), maxTitleRunes).text),
    ...nonEmpty('title_link', t(config.title_link)),
    ...nonEmpty('pretext', t(config.pretext)),
    text: t(config.text),
    fallback: t(config.fallback),
    callback_id: t(config.callback_id),
    ...nonEmpty('image_url', t(config.image_url)),
    ...nonEmpty('thumb_url', t(config.thumb_url)),
    footer: t(config.footer),
    // Alertmanager's default: {{ if eq .Status "firing" }}danger{{ else }}good{{ end }}
    color: config.color ? t(config.color) : n.status === 'firing' ? 'danger' : 'good',
    ...(config.mrkdwn_in.length > 0 ? { mrkdwn_in: config.mrkdwn_in } : {}),
  };
  return {
    ...nonEmpty('channel', t(config.channel)),
    ...nonEmpty('username', t(config.username)),
    ...nonEmpty('icon_emoji', t(config.icon_emoji)),
    ...nonEmpty('icon_url', t(config.icon_url)),
    ...(config.link_names ? { link_names: true } : {}),
    attachments: [attachment],
  };
}

function nonEmpty<K extends string>(key: K, value: string): { [P in K]?: string } {
  return (value === '' ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * @example
 * await slackReceiver('ops', config, {}).send(notification, signal);
 */
export function slackReceiver(name: string, config: SlackConfig, deps: HttpDeps): Receiver {
  return {
    name,
    kind: 'slack',
    async send(notification, signal) {
      const message = slackMessage(config, name, notification);
      if (!message) return;
      await postJSON(`slack receiver "${name}"`, config.api_url.reveal(), message, signal, deps);
    },
  };
}
