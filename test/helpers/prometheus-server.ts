// A real Prometheus (Debian's `prometheus`) run by a test: on 127.0.0.1 and a free port, its TSDB
// in a throwaway folder, scraping what one http_sd URL lists every `scrapeInterval`; queried
// through its HTTP API and stopped by its PID.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { answers, startServerProcess, type RunningServer } from './server-process.ts';

/** One series of an instant query's answer: its labels and its value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** A running Prometheus started by a test. */
export interface PrometheusServer extends RunningServer {
  /** The config file it runs with, as written. */
  config: string;
  /** Runs an instant PromQL query; throws with Prometheus' error when it fails. */
  query(promql: string): Promise<PromSample[]>;
  /** The targets it scrapes, with their health (`up`, `down`, `unknown`) and last error. */
  targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string }[]>;
}

/** Options of startPrometheus. */
export interface PrometheusOptions {
  /** The http_sd URL listing what to scrape. */
  sdUrl: string;
  /** Seconds between scrapes (and SD refreshes, and rule evaluations); default 1. */
  scrapeInterval?: number;
}

/** Starts Prometheus scraping the targets of `sdUrl`, resolved once it says it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const every = `${options.scrapeInterval ?? 1}s`;
  const address = `127.0.0.1:${await freePort()}`;
  const dir = await mkdtemp(join(tmpdir(), 'micro-prometheus-'));
  const config = [
    'global:',
    `  scrape_interval: ${every}`,
    `  evaluation_interval: ${every}`,
    'scrape_configs:',
    '  - job_name: micro',
    '    http_sd_configs:',
    `      - url: ${options.sdUrl}`,
    `        refresh_interval: ${every}`,
    '',
  ].join('\n');
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, config);
  const server = await startServerProcess({
    command: 'prometheus',
    install: 'prometheus',
    address,
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${address}`,
      '--log.level=warn',
    ],
    ready: () => answers(`http://${address}/-/ready`).catch(() => false),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://${address}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    ...server,
    config,
    async query(promql) {
      const data = await api<{
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(`query?query=${encodeURIComponent(promql)}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await api<{
        activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
      }>('targets?state=active');
      return data.activeTargets;
    },
  };
}
