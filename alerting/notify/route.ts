import type { Labels } from '../store/index.ts';
import {
  defaultGroupIntervalMs,
  defaultGroupWaitMs,
  defaultRepeatIntervalMs,
  type RouteConfig,
} from './config.ts';
import { formatMatcher, type Matcher, matchesAll } from './matchers.ts';

/**
 * The routing tree, as Alertmanager's dispatch/route.go builds and walks it. A child route
 * inherits receiver, group_by and the three timings from its parent unless it sets them;
 * mute_time_intervals and active_time_intervals are not inherited (Alertmanager neither).
 * An alert descends into the first child that matches, and on to further siblings only
 * while the matching child says `continue: true`; a route none of whose children match is
 * itself the match.
 */

export interface Route {
  /**
   * Alertmanager's route key, `{}/{team="db"}/{severity="page"}`: the matchers of the path.
   * It is the first half of every group key, so it must not depend on anything but config.
   */
  readonly key: string;
  /** Unique among routes: the key plus each step's index among its siblings. */
  readonly id: string;
  readonly receiver: string;
  /** Label names to group by, or 'all' for `['...']`. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly Route[];
}

// Alertmanager sorts a route's matchers, so their order in the file does not change the key.
function sortMatchers(ms: readonly Matcher[]): Matcher[] {
  return [...ms].sort((a, b) =>
    a.name !== b.name
      ? a.name < b.name
        ? -1
        : 1
      : a.value !== b.value
        ? a.value < b.value
          ? -1
          : 1
        : a.type < b.type
          ? -1
          : a.type > b.type
            ? 1
            : 0,
  );
}

/**
 * Builds the tree from validated config, resolving inheritance once.
 *
 * @example
 * const root = buildRoute(config.route);
 * matchRoutes(root, { alertname: 'DiskFull', team: 'db' }).map((r) => r.receiver);
 */
export function buildRoute(config: RouteConfig, parent?: Route, index = 0): Route {
  const matchers = sortMatchers(config.matchers);
  const matcherText = `{${matchers.map(formatMatcher).join(',')}}`;
  const key = parent ? `${parent.key}/${matcherText}` : matcherText;
  const id = parent ? `${parent.id}/${matcherText}/${index}` : matcherText;
  const groupBy =
    config.group_by === undefined
      ? (parent?.groupBy ?? [])
      : config.group_by.includes('...')
        ? 'all'
        : [...config.group_by].sort();
  const partial = {
    key,
    id,
    receiver: config.receiver ?? parent?.receiver ?? '',
    groupBy,
    groupWaitMs: config.group_wait ?? parent?.groupWaitMs ?? defaultGroupWaitMs,
    groupIntervalMs: config.group_interval ?? parent?.groupIntervalMs ?? defaultGroupIntervalMs,
    repeatIntervalMs: config.repeat_interval ?? parent?.repeatIntervalMs ?? defaultRepeatIntervalMs,
    matchers,
    continue: config.continue,
    muteTimeIntervals: config.mute_time_intervals,
    activeTimeIntervals: config.active_time_intervals,
    routes: [] as Route[],
  };
  partial.routes = config.routes.map((child, i) => buildRoute(child, partial, i));
  return partial;
}

/**
 * The routes an alert with these labels goes to, in tree order (Alertmanager's Route.Match).
 *
 * @example
 * matchRoutes(root, { severity: 'page' }); // [the paging route] or [root]
 */
export function matchRoutes(route: Route, labels: Labels): Route[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const all: Route[] = [];
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels);
    all.push(...matched);
    if (matched.length > 0 && !child.continue) break;
  }
  if (all.length === 0) all.push(route);
  return all;
}

/** Every route of the tree, depth first. */
export function allRoutes(route: Route): Route[] {
  return [route, ...route.routes.flatMap(allRoutes)];
}

/** The labels an alert is grouped by on this route: absent labels are left out. */
export function groupLabels(route: Route, labels: Labels): Labels {
  if (route.groupBy === 'all') return { ...labels };
  const out: Record<string, string> = {};
  for (const name of route.groupBy) {
    const v = labels[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

/** `{a="1", b="2"}` sorted by name: Prometheus' model.LabelSet String(). */
export function formatLabelSet(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

/**
 * Alertmanager's group key, `route key:group labels`. It is derived from config and labels
 * only, so it is the same after a restart: receivers derive dedup keys from it.
 */
export function groupKeyOf(route: Route, group: Labels): string {
  return `${route.key}:${formatLabelSet(group)}`;
}
