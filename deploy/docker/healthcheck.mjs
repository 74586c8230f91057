// The image's HEALTHCHECK: ready means /health/ready answers 200 on the service's own port.
// Plain node, no dependencies, a 2 s budget; exit 0 healthy, 1 not.
import { request } from 'node:http';

// Alone in the image (no repository scripts beside it): its one-line command line by hand.
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: PORT=<port> node healthcheck.mjs\n\nExits 0 when http://127.0.0.1:$PORT/health/ready answers 200 within 2 s, else 1. No options.\n',
  );
  process.exit(0);
}
if (args.length > 0) {
  process.stderr.write(`healthcheck.mjs: ${args[0]}: unknown flag (it takes none; --help shows the usage)\n`);
  process.exit(2);
}

const port = Number(process.env.PORT ?? 8080);
const req = request({ host: '127.0.0.1', port, path: '/health/ready', timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
