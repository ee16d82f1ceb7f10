import { join } from 'node:path';
import { createSqliteRegistry } from '../registry/sqlite.ts';
import type { Registry } from '../registry/registry.ts';
import { createService, type Service } from '../runtime/service.ts';
import type { Logger } from '../runtime/server/server.ts';
import { registryHandler } from './registry-service.ts';

/** Options of the control plane. */
export interface ControlPlaneOptions {
  /** Where it listens; 127.0.0.1:8000 by default. */
  address?: string;
  /** Folder of the database (micro.db). */
  dataDir: string;
  /** better-sqlite3's addon, when the single executable loaded it. */
  nativeBinding?: unknown;
  logger?: Logger;
}

/** The running control plane: its registry, and the service that serves it. */
export interface ControlPlane {
  readonly address: string;
  readonly registry: Registry;
  readonly service: Service;
  stop(): Promise<void>;
}

/** Starts the control plane: the registry (SQLite, WAL) served as the `registry` micro service. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const registry = createSqliteRegistry({
    path: join(options.dataDir, 'micro.db'),
    nativeBinding: options.nativeBinding,
  });
  const service = createService({
    name: 'registry',
    version: 'latest',
    address: options.address ?? '127.0.0.1:8000',
    registry,
    handleSignals: false,
    logger: options.logger,
  });
  service.handle('Registry', registryHandler(registry));
  try {
    await service.start();
  } catch (err) {
    await registry.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(
        `cannot start the control plane: ${options.address ?? '127.0.0.1:8000'} is in use (is another "micro run" or "micro registry" running?)`,
        { cause: err },
      );
    }
    throw err;
  }
  return {
    address: service.server.address,
    registry,
    service,
    async stop() {
      await service.stop();
      await registry.close();
    },
  };
}
