import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { call } from './http.js';
import { sleep } from './wait.js';

/**
 * The value of one sample in a Prometheus text exposition: `name` with every label of `labels`
 * (others may be present), or NaN when no such sample is there.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return Number.NaN;
}

/** One sample of a service's `/metrics` (NaN when absent). */
export async function scrapeMetric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue((await call('GET', `${url}/metrics`)).text, name, labels);
}

/** The V8 heap a service uses, in MiB, from its `/metrics`. */
export async function heapUsedMb(url: string): Promise<number> {
  return (await scrapeMetric(url, 'nodejs_heap_size_used_bytes')) / 1024 / 1024;
}

/**
 * The environment of a service whose live heap a test reads (`liveHeapMb`): SIGUSR2 makes it
 * collect its garbage in full (`collect-garbage-on-signal.js`).
 */
export const COLLECT_GARBAGE_ON_SIGNAL = {
  NODE_OPTIONS: `--expose-gc --import ${pathToFileURL(resolve('test/support/collect-garbage-on-signal.js')).href}`,
};

/**
 * Each service's live heap (MiB): what a full collection leaves. Heap in use sampled without one
 * is mostly garbage V8 had no reason to collect yet (it nearly doubled in some chaos runs). The
 * services must run with `COLLECT_GARBAGE_ON_SIGNAL`; the collection runs in their SIGUSR2 handler,
 * and the heap is read once it had time to run, twice, keeping the lower reading. (prom-client's GC
 * counter cannot confirm the collection: it counts only the first of each batch its observer gets.)
 */
export async function liveHeapMb(services: { pid: number; url: string }[]): Promise<number[]> {
  const rounds: number[][] = [];
  for (let round = 0; round < 2; round++) {
    for (const service of services) process.kill(service.pid, 'SIGUSR2');
    await sleep(500);
    rounds.push(await Promise.all(services.map((service) => heapUsedMb(service.url))));
  }
  return services.map((_, i) => Math.min(...rounds.map((mb) => mb[i])));
}
