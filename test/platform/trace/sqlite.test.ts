import { join } from 'node:path';
import { createSqliteTrace } from '../../../src/platform/trace/sqlite.ts';
import { runTraceCases } from '../../conformance/trace.case.ts';
import { scratchDir } from '../../helpers/lifecycle.ts';

const dir = scratchDir('micro-trace-sqlite-');
let n = 0;
runTraceCases('sqlite', (bounds) =>
  createSqliteTrace({ ...bounds, path: join(dir, `micro-${n++}.db`) }),
);
