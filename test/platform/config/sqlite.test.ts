import { join } from 'node:path';
import { createSqliteConfig } from '../../../src/platform/config/sqlite.ts';
import { runConfigCases } from '../../conformance/config.case.ts';
import { scratchDir } from '../../helpers/lifecycle.ts';

const dir = scratchDir('micro-config-sqlite-');
runConfigCases('sqlite', () => createSqliteConfig({ path: join(dir, 'micro.db') }));
