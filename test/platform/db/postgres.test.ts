import { createPostgresDb } from '../../../src/platform/db/postgres.ts';
import { runDbCases } from '../../conformance/db.case.ts';
import { serverForTests } from '../../helpers/lifecycle.ts';
import { startPostgres, type PostgresServer } from '../../helpers/postgres-server.ts';

// A real PostgreSQL (Debian's postgresql) on 127.0.0.1, a free port, a throwaway cluster.
let server: PostgresServer | undefined;
serverForTests(async () => (server = await startPostgres()));

runDbCases('postgres', () => createPostgresDb({ url: server!.url }));
