// micro with auth on: the service's guard verifies each caller's token (cached after the first)
// and checks the rules; the client's wrapper sends its own token. Both sides derive the same
// Ed25519 key from a fixed seed, so that neither needs a control plane: the snapshot is fixed.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { exportJWK, importJWK, SignJWT } from 'jose';
import type { AuthSnapshot } from '../../../src/platform/auth/auth.ts';
import { tokenSource } from '../../../src/platform/auth/token-source.ts';
import { createVerifier } from '../../../src/platform/auth/verifier.ts';
import { authCallWrapper, authGuard } from '../../../src/platform/auth/wrappers.ts';
import {
  createClient,
  createMemoryRegistry,
  createService,
  createTcpTransport,
} from '../../../src/runtime/index.ts';
import { quiet } from '../../lib/logger.ts';
import { REQUEST, hello, type Caller, type Target } from '../target.ts';

const KID = 'bench';
// PKCS#8 DER of an Ed25519 private key: this prefix, then the 32-byte seed (RFC 8410).
const seed = Buffer.alloc(32, 7);
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
});

async function snapshot(): Promise<AuthSnapshot> {
  const { x } = await exportJWK(createPublicKey(privateKey));
  return {
    version: 1,
    rules: [
      {
        id: 'bench',
        who: 'account:bench-client',
        resource: { kind: 'service', name: 'bench', action: 'Greeter.*' },
        access: 'allow',
        priority: 0,
      },
    ],
    jwks: { keys: [{ kid: KID, alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519', x: x! }] },
    revoked: [],
    revokedBefore: {},
  };
}

/** A token of the bench client's service account, as the control plane would issue it. */
async function mint(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = await importJWK(await exportJWK(privateKey), 'EdDSA');
  return new SignJWT({
    client_id: 'bench-client',
    scope: '',
    account_type: 'service',
    roles: [],
  })
    .setProtectedHeader({ alg: 'EdDSA', kid: KID, typ: 'at+jwt' })
    .setIssuer('micro')
    .setAudience('micro')
    .setSubject('bench-client')
    .setJti(`bench-${now}`)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3600)
    .sign(key);
}

/** micro json over framed tcp, with the guard on the service and the wrapper on the client. */
export const microAuth: Target = {
  async serve() {
    const verifier = createVerifier({ source: { snapshot }, refresh: 2000 });
    const service = createService({
      name: 'bench',
      address: '127.0.0.1:0',
      registry: createMemoryRegistry(),
      handleSignals: false,
      logger: quiet,
      guard: authGuard(verifier),
    });
    service.handle('Greeter', { Hello: async (req: { name: string }) => hello(req) });
    await service.start();
    return {
      address: service.server.address,
      close: async () => {
        verifier.close();
        await service.stop();
      },
    };
  },
  async connect(address) {
    const tokens = tokenSource(
      {
        auth: {
          token: async () => ({
            access_token: await mint(),
            token_type: 'Bearer',
            expires_in: 3600,
            refresh_token: '',
            scope: '',
          }),
        },
      },
      { id: 'bench-client', secret: 'not-a-real-secret' },
    );
    const client = createClient({
      registry: createMemoryRegistry(),
      transport: createTcpTransport(),
      wrappers: [authCallWrapper(tokens)],
    });
    const options = { address, contentType: 'application/json' };
    const caller: Caller = {
      call: () => client.call('bench', 'Greeter.Hello', REQUEST, options),
      close: () => client.close(),
    };
    const rsp = (await caller.call()) as { msg?: string };
    if (rsp.msg !== 'Hello bench') throw new Error(`unexpected response ${JSON.stringify(rsp)}`);
    return caller;
  },
};
