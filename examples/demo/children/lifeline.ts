/**
 * How a demo child ends: on SIGTERM or SIGINT, and also when its stdin closes, which happens
 * when the parent dies without stopping it (killed with SIGKILL): no orphan keeps running.
 * `close` gets a few seconds; then the process exits anyway.
 */
export function lifeline(close: () => Promise<void>, graceMs = 4_000): void {
  let closing = false;
  const end = (why: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: `stopping: ${why}` })}\n`);
    setTimeout(() => process.exit(0), graceMs).unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => end('SIGTERM'));
  process.on('SIGINT', () => end('SIGINT'));
  process.stdin.on('end', () => end('parent went away'));
  process.stdin.on('error', () => end('parent went away'));
  process.stdin.resume();
}
