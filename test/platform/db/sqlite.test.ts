import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteDb } from '../../../src/platform/db/sqlite.ts';
import { runDbCases } from '../../conformance/db.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'micro-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runDbCases('sqlite', () => createSqliteDb({ path: join(dir, 'micro.db') }));
