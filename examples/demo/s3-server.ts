import S3rver from 's3rver';

/**
 * The demo's S3-compatible blob store: s3rver, keeping objects as plain files under
 * `<data-dir>/s3/<bucket>/<key>._S3rver_object` (with `._S3rver_metadata.json` and `.md5` beside),
 * which is what lets durability experiments corrupt or remove a blob on disk and watch the
 * verifiers notice. The service never touches those files: it speaks the S3 API only.
 */
export interface S3ServerOptions {
  directory: string;
  host?: string;
  port?: number;
  /** Buckets to create at start. */
  buckets?: string[];
}

/** s3rver's fixed credentials; any S3 client signs with these. */
export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Runs s3rver in this process (the `children/s3-main.ts` entry does so in a child).
 *
 * @example
 * const s3 = await startS3Server({ directory: '/tmp/demo/s3', port: 0, buckets: ['photos'] });
 * // ... s3.endpoint is http://127.0.0.1:<port>
 * await s3.close();
 */
export async function startS3Server(
  options: S3ServerOptions,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    // Path-style only: a vhost bucket would need DNS names the demo does not have.
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const address = await server.run();
  return { endpoint: `http://${host}:${address.port}`, close: () => server.close() };
}
