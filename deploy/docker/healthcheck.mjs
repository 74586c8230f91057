// The image's HEALTHCHECK: ready means /health/ready answers 200 on the service's own port.
// Plain node, no dependencies, a 2 s budget; exit 0 healthy, 1 not.
import { request } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const req = request({ host: '127.0.0.1', port, path: '/health/ready', timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
req.end();
