// Child entry: runs the demo's s3rver in its own process, so chaos experiments can kill the
// blob store without killing the service. Argument: one JSON object (S3ServerOptions).
// Prints one JSON ready line on stdout; exits on SIGTERM, SIGINT or when its parent goes away.
import { startS3Server } from '../s3-server.ts';
import { lifeline } from './lifeline.ts';

const options = JSON.parse(process.argv[2] ?? '{}');
const server = await startS3Server(options);
process.stdout.write(`${JSON.stringify({ ready: true, endpoint: server.endpoint, pid: process.pid })}\n`);
lifeline(() => server.close());
