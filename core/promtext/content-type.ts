import { VigilError } from '../errors.ts';
import type { ExpositionFormat } from './model.ts';

/** The Content-Type a /metrics endpoint sends for each format. */
export const contentTypes: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/**
 * The Accept header the scraper sends: OpenMetrics preferred, the Prometheus format next, as
 * Prometheus 2.x does by default (without protobuf, which vigil does not read).
 */
export const scrapeAcceptHeader =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/**
 * Picks the parser for a scrape response from its Content-Type, as Prometheus does:
 * `application/openmetrics-text` is OpenMetrics, `text/plain` is the Prometheus format. A
 * missing or other type uses `fallback` when given (Prometheus' `fallback_scrape_protocol`),
 * else it is an error.
 *
 * @throws VigilError('parse') naming the unsupported Content-Type.
 * @example
 * formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'); // 'openmetrics'
 * formatFromContentType(undefined, 'prometheus'); // 'prometheus'
 */
export function formatFromContentType(
  contentType: string | undefined,
  fallback?: ExpositionFormat,
): ExpositionFormat {
  const mediaType = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === 'application/openmetrics-text') return 'openmetrics';
  if (mediaType === 'text/plain') return 'prometheus';
  if (fallback !== undefined) return fallback;
  const shown = mediaType === '' ? 'no Content-Type' : `Content-Type "${mediaType.slice(0, 80)}"`;
  throw new VigilError(
    'parse',
    `unsupported ${shown}; expected text/plain (Prometheus format) or application/openmetrics-text`,
  );
}

/**
 * Picks the format a /metrics endpoint should answer with for a request's Accept header: the
 * acceptable entry with the highest q wins (ties go to the earlier entry); OpenMetrics only
 * when asked for explicitly, the Prometheus format otherwise, as the client libraries negotiate.
 *
 * @example
 * formatFromAccept(scrapeAcceptHeader); // 'openmetrics'
 * formatFromAccept('*\/*'); // 'prometheus'
 */
export function formatFromAccept(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept === '') return 'prometheus';
  let best: ExpositionFormat = 'prometheus';
  let bestQ = -1;
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const p of params) {
      if (p.startsWith('q=')) {
        const parsed = Number(p.slice(2));
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    if (q <= 0) continue;
    let format: ExpositionFormat | undefined;
    if (type === 'application/openmetrics-text') format = 'openmetrics';
    else if (type === 'text/plain' || type === '*/*' || type === 'text/*') format = 'prometheus';
    if (format !== undefined && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}
