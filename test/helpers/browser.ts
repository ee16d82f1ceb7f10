// Debian's chromium driven by playwright-core, and `micro run` in a child process to point it at:
// what the dashboard's browser tests share.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry } from '../../src/runtime/index.ts';
import { freePort } from './net.ts';
import { startNode } from './proc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.MICRO_TEST_CHROMIUM ?? '/usr/bin/chromium';
// As ../shared machines/node.md says: no sandbox as root, and no background traffic to Google.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts chromium with a profile in dir; fails (never skips) when it is missing. */
export async function launchChromium(
  dir: string,
): Promise<{ context: BrowserContext; page: Page }> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's (apt-get install chromium; .ci/run does), or set MICRO_TEST_CHROMIUM`,
    );
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/**
 * Starts `micro run` (control plane, gateway and dashboard) with its data in dir (and `env` over
 * this process's), and a registry client of its control plane. Stop it with proc.ts's stopAll.
 */
export async function startPlatform(
  dir: string,
  env: Record<string, string> = {},
): Promise<{ base: string; registry: Registry }> {
  const registryAddress = `127.0.0.1:${await freePort()}`;
  const webAddress = `127.0.0.1:${await freePort()}`;
  const plane = startNode(join(root, 'bin/micro.ts'), ['run'], {
    MICRO_REGISTRY_ADDRESS: registryAddress,
    MICRO_WEB_ADDRESS: webAddress,
    MICRO_DATA_DIR: join(dir, 'data'),
    ...env,
  });
  await plane.waitFor(new RegExp(`web\\s+${webAddress.replaceAll('.', '\\.')}$`), 20_000);
  return {
    base: `http://${webAddress}`,
    registry: createMicroRegistry({ address: registryAddress }),
  };
}
