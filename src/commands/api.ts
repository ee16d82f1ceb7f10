import { apiFlags, gatewayOptions } from './shared/api-options.ts';
import { defineCommand } from './shared/command.ts';

/** `micro api`: the API gateway alone, in the foreground, in front of the services in the registry. */
export const apiCommand = defineCommand({
  command: 'api',
  describe: 'Run the API gateway: HTTP in front of every service',
  builder: (y) =>
    y
      .options(apiFlags)
      .option('tls-cert', {
        type: 'string',
        describe: 'serve HTTPS with this certificate (PEM file; with --tls-key) [MICRO_TLS_CERT]',
      })
      .option('tls-key', {
        type: 'string',
        describe: 'the private key of --tls-cert (PEM file) [MICRO_TLS_KEY]',
      })
      .example('micro api', 'serve 127.0.0.1:8080: POST /greeter/say/hello calls greeter Say.Hello')
      .example('micro api --api-cors https://app.example --api-rate-limit 100', '')
      .example(
        'micro tls issue api --host api.example && micro api --tls-cert ~/.micro/tls/services/api.crt --tls-key ~/.micro/tls/services/api.key',
        'serve HTTPS with a certificate from the CA of micro run --tls',
      )
      .example('curl -s 127.0.0.1:8080/greeter/say/hello -d \'{"name":"Ann"}\'', '')
      .epilogue(
        'With MICRO_AUTH=on every route but GET / needs a token (Authorization: Bearer) the auth rules allow, and the gateway serves POST /oauth/token, /oauth/revoke and /.well-known/jwks.json; its own account comes from MICRO_AUTH_ID and MICRO_AUTH_SECRET (or MICRO_AUTH_TOKEN).',
      ),
  handler: async (args) => {
    const [
      { openRegistry },
      { createGateway },
      { untilSignal },
      { VERSION },
      { conflict },
      { edgeAuthFromEnv },
    ] = await Promise.all([
      import('./shared/connect.ts'),
      import('../proxy/index.ts'),
      import('./shared/signals.ts'),
      import('./shared/version.ts'),
      import('../runtime/errors.ts'),
      import('../proxy/auth/env.ts'),
    ]);
    // MICRO_RESILIENCY: a bad file is a 400 before anything starts.
    const { resiliencyPolicy } = await import('./shared/resiliency.ts');
    const policy = (await resiliencyPolicy(undefined, 'api')) ?? {};
    const registry = await openRegistry(args);
    const { serverTlsFromEnv } = await import('../runtime/defaults.ts');
    // The gateway faces users: TLS without client certificates, whatever MICRO_TLS_MUTUAL says.
    const tls = serverTlsFromEnv({ MICRO_TLS_CERT: args.tlsCert, MICRO_TLS_KEY: args.tlsKey });
    const options = { ...gatewayOptions(args), tls };
    let gateway;
    let auth;
    try {
      auth = edgeAuthFromEnv(process.env, {
        registry,
        id: 'micro.api',
        onError: (err) => process.stderr.write(`micro api: auth: ${err.message}\n`),
      });
      gateway = await createGateway({ ...options, registry, version: VERSION, auth, policy });
    } catch (err) {
      await auth?.close();
      await registry.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw conflict(
          'micro.cli',
          `cannot start the API gateway: ${options.address ?? ''} is in use; choose another with --api-address`,
        );
      throw err;
    }
    const signalled = untilSignal();
    process.stdout.write(
      `micro api listening on ${tls ? 'https' : 'http'}://${gateway.address} (registry: ${registry.name} at ${registry.address})\nPress Ctrl-C to stop.\n`,
    );
    await signalled;
    await gateway.close();
    await auth?.close();
    await registry.close();
  },
});
