import { VigilError } from '../../core/index.ts';
import type { SilenceMatcher } from '../notify/index.ts';

/**
 * A small client for vigil's Alertmanager v2 endpoints (and the rule engine's
 * /api/v1/alerts), used by `vigil silence` and `vigil alerts`. It speaks the same JSON as
 * amtool, so it works against a real Alertmanager too, except for the rule engine call.
 */

export interface ApiSilence {
  id: string;
  status: { state: 'pending' | 'active' | 'expired' };
  updatedAt: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface ApiAlertV2 {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

export interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

export interface NewSilence {
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** A request gives up after this long: the server answers these from memory. */
const requestTimeoutMs = 10_000;

export class AlertmanagerClient {
  private readonly base: string;

  /**
   * @example
   * const client = new AlertmanagerClient('http://127.0.0.1:9090', process.env.VIGIL_TOKEN);
   * await client.silences();
   */
  constructor(
    base: string,
    private readonly token?: string,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  async addSilence(s: NewSilence): Promise<string> {
    const body = (await this.request('POST', '/api/v2/silences', s)) as { silenceID: string };
    return body.silenceID;
  }

  async silences(filter: string[] = []): Promise<ApiSilence[]> {
    const q = new URLSearchParams(filter.map((f): [string, string] => ['filter', f]));
    return (await this.request('GET', `/api/v2/silences${filter.length ? `?${q}` : ''}`)) as ApiSilence[];
  }

  async expireSilence(id: string): Promise<void> {
    await this.request('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  /** The notifier's alerts with silencing; undefined when the server has no notify: section. */
  async alerts(): Promise<ApiAlertV2[] | undefined> {
    try {
      return (await this.request('GET', '/api/v2/alerts')) as ApiAlertV2[];
    } catch (err) {
      if (err instanceof VigilError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  /** The rule engine's pending and firing alerts (Prometheus' /api/v1/alerts). */
  async ruleAlerts(): Promise<RuleAlert[]> {
    const body = (await this.request('GET', '/api/v1/alerts')) as { data: { alerts: RuleAlert[] } };
    return body.data.alerts;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (err) {
      throw new VigilError(
        'unavailable',
        `cannot reach ${this.base}: ${(err as Error).cause ?? (err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: the text itself is the message.
    }
    if (res.ok) return data;
    const message =
      typeof data === 'string' ? data : ((data as { error?: string } | undefined)?.error ?? res.statusText);
    const code =
      res.status === 400
        ? 'usage'
        : res.status === 401
          ? 'unauthorized'
          : res.status === 404
            ? 'not_found'
            : res.status === 409
              ? 'conflict'
              : res.status === 429
                ? 'limit'
                : 'unavailable';
    throw new VigilError(code, `${method} ${path}: ${res.status}: ${message}`);
  }
}
