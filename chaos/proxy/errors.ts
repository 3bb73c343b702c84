import { VigilError } from '../../core/index.ts';

/**
 * Toxiproxy's API errors, one catalogue with each error's HTTP status, so existing clients see
 * the same messages and codes. Each is raised as a VigilError whose code maps to that status.
 */
export const apiErrors = {
  badRequestBody: { message: 'bad request body', code: 'parse' },
  missingField: { message: 'missing required field', code: 'parse' },
  proxyNotFound: { message: 'proxy not found', code: 'not_found' },
  proxyExists: { message: 'proxy already exists', code: 'conflict' },
  invalidStream: { message: 'stream was invalid, can be either upstream or downstream', code: 'parse' },
  invalidToxicType: { message: 'invalid toxic type', code: 'parse' },
  toxicExists: { message: 'toxic already exists', code: 'conflict' },
  toxicNotFound: { message: 'toxic not found', code: 'not_found' },
  targetNotAllowed: { message: 'upstream is not on loopback and not in the allow-list', code: 'parse' },
  leaseNotFound: { message: 'lease not found', code: 'not_found' },
} as const;

export type ApiErrorName = keyof typeof apiErrors;

/**
 * A VigilError from the catalogue; `detail` is appended as Toxiproxy does ("missing required field: name").
 *
 * @example
 * throw apiError('proxyNotFound');
 */
export function apiError(name: ApiErrorName, detail?: string): VigilError {
  const e = apiErrors[name];
  return new VigilError(e.code, detail ? `${e.message}: ${detail}` : e.message, {
    details: { apiError: name },
  });
}
