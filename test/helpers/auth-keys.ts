// The control plane's current signing key, read from its micro.db: for tests that mint tokens with
// wrong claims (expired, wrong audience...) that are otherwise well signed (test/helpers/tokens.ts).
import Database from 'better-sqlite3';
import type { SigningKey } from './tokens.ts';

/** The key that signs now (newest not retired) in the auth_keys table of the database at `dbPath`. */
export function signingKey(dbPath: string): SigningKey {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        'SELECT kid, jwk FROM auth_keys WHERE retired IS NULL ORDER BY created DESC, kid LIMIT 1',
      )
      .get() as { kid: string; jwk: string } | undefined;
    if (!row)
      throw new Error(
        `no signing key in ${dbPath} yet: ask the auth service for a token or its JWKS first`,
      );
    return { kid: row.kid, jwk: JSON.parse(row.jwk) as SigningKey['jwk'] };
  } finally {
    db.close();
  }
}
