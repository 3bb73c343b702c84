import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type Receiver } from '../../../../alerting/notify/index.ts';
import { notification } from './fixtures.ts';
import { Recorder } from './recorder.ts';

/**
 * What every receiver does the same way (STYLE.md 13): a 2xx is delivered; 5xx and 429 are
 * retryable, 429's Retry-After honoured; other 4xx are not retried; a hang ends at the caller's
 * deadline as retryable; a refused connection is retryable; messages never carry the URL
 * (for Slack and webhooks the URL is the secret).
 */
export function receiverConformance(kind: string, make: (url: string) => Receiver, okStatus = 200): void {
  describe(`${kind} receiver conformance`, () => {
    const server = new Recorder();
    beforeAll(async () => {
      await server.start();
    });
    afterAll(async () => {
      await server.stop();
    });

    const failure = async (answer: Recorder['respond'], signal = AbortSignal.timeout(5000)) => {
      server.respond = answer;
      try {
        await make(`${server.url}/secret-token-xyz`).send(notification(), signal);
      } catch (err) {
        return err;
      }
      return undefined;
    };

    it('resolves on a 2xx', async () => {
      expect(await failure(() => ({ status: okStatus }))).toBeUndefined();
    });

    it('5xx is retryable', async () => {
      const err = await failure(() => ({ status: 503, body: 'maintenance' }));
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).retryable).toBe(true);
      expect((err as DeliveryError).message).toContain('HTTP 503');
      expect((err as DeliveryError).message).not.toContain('secret-token-xyz');
    });

    it('429 is retryable after Retry-After', async () => {
      const err = (await failure(() => ({ status: 429, headers: { 'retry-after': '7' } }))) as DeliveryError;
      expect(err.retryable).toBe(true);
      expect(err.retryAfterMs).toBe(7000);
    });

    it('other 4xx is not retried', async () => {
      const err = (await failure(() => ({
        status: 400,
        body: '{"status":"invalid event"}',
      }))) as DeliveryError;
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('invalid event');
    });

    it('a hang ends at the deadline, retryable', async () => {
      const controller = new AbortController();
      const pending = failure(() => 'hang', controller.signal);
      for (let i = 0; i < 200 && server.requests.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      controller.abort();
      const err = (await pending) as DeliveryError;
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('timed out');
    });

    it('a refused connection is retryable and does not name the URL', async () => {
      const down = new Recorder();
      await down.start();
      const url = `${down.url}/secret-token-xyz`;
      await down.stop();
      const err = await make(url)
        .send(notification(), AbortSignal.timeout(5000))
        .catch((e: unknown) => e);
      expect((err as DeliveryError).retryable).toBe(true);
      expect((err as DeliveryError).message).not.toContain('secret-token-xyz');
    });
  });
}
