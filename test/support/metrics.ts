import { call } from './http.js';

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
