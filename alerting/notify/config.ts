import { z } from 'zod';
import { durationSchema, isVigilError } from '../../core/index.ts';
import { type Matcher, newMatcher } from '../store/index.ts';
import { parseMatchers } from './matchers.ts';
import { makeReceiverSchema } from './receivers/index.ts';
import { namedTimeIntervalSchema } from './time-intervals.ts';

/**
 * The notifier's config: Alertmanager's alertmanager.yml shape (`route`, `receivers`,
 * `inhibit_rules`, `time_intervals`), so a team pastes its own file under `notify:` in the
 * server config. Validated once, whole: every receiver a route or rule names exists, every
 * time interval named exists, every matcher parses. Defaults are Alertmanager's and are
 * resolved in route.ts, where a child route inherits from its parent.
 */

/** Alertmanager's defaults for the root route (config.DefaultRouteOpts / dispatch.DefaultRouteOpts). */
export const defaultGroupWaitMs = 30_000;
export const defaultGroupIntervalMs = 5 * 60_000;
export const defaultRepeatIntervalMs = 4 * 3_600_000;

/** `matchers: ['a="1"', 'b=~"x|y"']`; one entry may hold several, as Alertmanager allows. */
const matcherListSchema = z.array(z.string()).transform((list, ctx): Matcher[] => {
  const out: Matcher[] = [];
  list.forEach((text, i) => {
    try {
      out.push(...parseMatchers(text));
    } catch (err) {
      if (!isVigilError(err)) throw err;
      ctx.addIssue({ code: 'custom', path: [i], message: err.message });
    }
  });
  return out;
});

/** Legacy `match:` / `match_re:` maps, read as `=` / `=~` matchers. */
function legacySchema(type: '=' | '=~') {
  return z.record(z.string(), z.string()).transform((map, ctx): Matcher[] => {
    const out: Matcher[] = [];
    for (const [name, value] of Object.entries(map)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name "${name}"` });
        continue;
      }
      try {
        out.push(newMatcher(name, type, value));
      } catch (err) {
        if (!isVigilError(err)) throw err;
        ctx.addIssue({ code: 'custom', path: [name], message: err.message });
      }
    }
    return out;
  });
}

const labelNameSchema = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a label name' });

/** `group_by`: label names, or `['...']` for every label (no grouping at all). */
const groupBySchema = z.array(z.union([z.literal('...'), labelNameSchema])).superRefine((names, ctx) => {
  if (names.includes('...') && names.length > 1)
    ctx.addIssue({ code: 'custom', message: "'...' must be the only element of group_by" });
  if (new Set(names).size !== names.length)
    ctx.addIssue({ code: 'custom', message: 'group_by has duplicate label names' });
});

export interface RouteConfig {
  receiver?: string | undefined;
  group_by?: string[] | undefined;
  continue: boolean;
  matchers: Matcher[];
  group_wait?: number | undefined;
  group_interval?: number | undefined;
  repeat_interval?: number | undefined;
  mute_time_intervals: string[];
  active_time_intervals: string[];
  routes: RouteConfig[];
}

const positiveDuration = durationSchema.refine((ms) => ms > 0, { error: 'must be greater than 0' });

export const routeSchema: z.ZodType<RouteConfig, unknown> = z.lazy(() =>
  z
    .strictObject({
      receiver: z.string().min(1).optional(),
      group_by: groupBySchema.optional(),
      continue: z.boolean().default(false),
      matchers: matcherListSchema.default([]),
      match: legacySchema('=').default([]),
      match_re: legacySchema('=~').default([]),
      group_wait: durationSchema.optional(),
      group_interval: positiveDuration.optional(),
      repeat_interval: positiveDuration.optional(),
      mute_time_intervals: z.array(z.string()).default([]),
      active_time_intervals: z.array(z.string()).default([]),
      routes: z.array(routeSchema).default([]),
    })
    .transform(
      ({ match, match_re, ...r }): RouteConfig => ({
        ...r,
        matchers: [...match, ...match_re, ...r.matchers],
      }),
    ),
);

export interface InhibitRuleConfig {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export const inhibitRuleSchema = z
  .strictObject({
    source_matchers: matcherListSchema.default([]),
    target_matchers: matcherListSchema.default([]),
    source_match: legacySchema('=').default([]),
    source_match_re: legacySchema('=~').default([]),
    target_match: legacySchema('=').default([]),
    target_match_re: legacySchema('=~').default([]),
    equal: z.array(labelNameSchema).default([]),
  })
  .transform(
    (r): InhibitRuleConfig => ({
      sourceMatchers: [...r.source_match, ...r.source_match_re, ...r.source_matchers],
      targetMatchers: [...r.target_match, ...r.target_match_re, ...r.target_matchers],
      equal: r.equal,
    }),
  );

/**
 * The `notify:` section. `baseDir` is where relative `*_file` paths of receivers are read
 * from: the directory of the config file, as Alertmanager does.
 */
export function makeNotifyConfigSchema(baseDir: string) {
  return z
    .strictObject({
      /**
       * Alertmanager's `global:` block (resolve_timeout, pagerduty_url, slack_api_url, ...),
       * kept as given for the receivers that read it.
       */
      global: z.record(z.string(), z.unknown()).default({}),
      route: routeSchema,
      receivers: z.array(makeReceiverSchema(baseDir)).min(1, { error: 'at least one receiver is required' }),
      inhibit_rules: z.array(inhibitRuleSchema).default([]),
      time_intervals: z.array(namedTimeIntervalSchema).default([]),
      /** Alertmanager's older name for time_intervals; both may be used. */
      mute_time_intervals: z.array(namedTimeIntervalSchema).default([]),
      /** Where links in notifications point back to (Alertmanager's --web.external-url). */
      external_url: z.string().default(''),
    })
    .superRefine((config, ctx) => {
      const receivers = new Set<string>();
      config.receivers.forEach((r, i) => {
        if (receivers.has(r.name))
          ctx.addIssue({
            code: 'custom',
            path: ['receivers', i, 'name'],
            message: `receiver "${r.name}" is defined twice`,
          });
        receivers.add(r.name);
      });
      const intervals = new Set<string>();
      const allIntervals = [
        ...config.time_intervals.map((t, i) => ({ t, path: ['time_intervals', i, 'name'] })),
        ...config.mute_time_intervals.map((t, i) => ({ t, path: ['mute_time_intervals', i, 'name'] })),
      ];
      for (const { t, path } of allIntervals) {
        if (intervals.has(t.name))
          ctx.addIssue({ code: 'custom', path, message: `time interval "${t.name}" is defined twice` });
        intervals.add(t.name);
      }
      const root = config.route;
      if (!root.receiver)
        ctx.addIssue({
          code: 'custom',
          path: ['route', 'receiver'],
          message: 'the root route must name a receiver',
        });
      if (root.matchers.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['route', 'matchers'],
          message: 'the root route must not have matchers: it takes every alert',
        });
      if (root.continue)
        ctx.addIssue({
          code: 'custom',
          path: ['route', 'continue'],
          message: 'the root route cannot have continue',
        });
      if (root.mute_time_intervals.length > 0 || root.active_time_intervals.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['route'],
          message: 'the root route cannot have mute_time_intervals or active_time_intervals',
        });
      const walk = (r: RouteConfig, path: (string | number)[]) => {
        if (r.receiver !== undefined && !receivers.has(r.receiver))
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'receiver'],
            message: `undefined receiver "${r.receiver}" used in route`,
          });
        for (const field of ['mute_time_intervals', 'active_time_intervals'] as const)
          r[field].forEach((name, i) => {
            if (!intervals.has(name))
              ctx.addIssue({
                code: 'custom',
                path: [...path, field, i],
                message: `undefined time interval "${name}" used in route`,
              });
          });
        r.routes.forEach((child, i) => {
          walk(child, [...path, 'routes', i]);
        });
      };
      walk(root, ['route']);
    });
}

/** The `notify:` section with `*_file` paths relative to the working directory. */
export const notifyConfigSchema = makeNotifyConfigSchema(process.cwd());

export type NotifyConfig = z.output<typeof notifyConfigSchema>;
