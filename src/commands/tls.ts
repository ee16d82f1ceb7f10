import { defineCommand, defineGroup } from './shared/command.ts';
import { print } from './shared/output.ts';

const ca = defineCommand({
  command: 'ca',
  describe: "Print the CA's certificate (made on first use) and where it is",
  builder: (y) =>
    y
      .example('micro tls ca > ca.pem', 'then: curl --cacert ca.pem https://127.0.0.1:8080/')
      .example('curl --cacert ~/.micro/tls/ca.crt https://127.0.0.1:8080/', ''),
  handler: async (args) => {
    const { openCertificateAuthority } = await import('../platform/auth/ca.ts');
    const authority = await openCertificateAuthority(args.dataDir);
    print(
      args.output,
      { path: authority.certPath, pem: authority.cert },
      () => `# micro CA certificate: ${authority.certPath}\n${authority.cert.trimEnd()}`,
    );
  },
});

const issue = defineCommand({
  command: 'issue <name>',
  describe: 'Issue a key and certificate from the CA, for a service run elsewhere',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the service name' })
      .option('host', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'an IP address or DNS name the certificate is for, besides loopback (repeatable)',
      })
      .example(
        'micro tls issue greeter --host 10.0.0.5 --host greeter.internal',
        'then run it with MICRO_TLS_CERT, MICRO_TLS_KEY and MICRO_TLS_CA set to the paths printed',
      ),
  handler: async (args) => {
    const { openCertificateAuthority, checkHosts } = await import('../platform/auth/ca.ts');
    const authority = await openCertificateAuthority(args.dataDir);
    const issued = await authority.issue(args.name, args.host);
    const out = {
      name: args.name,
      hosts: checkHosts(args.host),
      key: issued.keyPath,
      cert: issued.certPath,
      ca: issued.caPath,
    };
    print(args.output, out, () =>
      [
        `issued ${out.name} for ${out.hosts.join(', ')} (valid 90 days)`,
        `MICRO_TLS_CERT=${out.cert}`,
        `MICRO_TLS_KEY=${out.key}`,
        `MICRO_TLS_CA=${out.ca}`,
      ].join('\n'),
    );
  },
});

/** `micro tls`: the CA of micro run --tls, and certificates from it. */
export const tlsCommand = defineGroup({
  command: 'tls',
  describe: 'Show the CA of micro run --tls, or issue a certificate',
  subcommands: [ca, issue],
  missing: 'tls what? micro tls ca | issue NAME [--host HOST]...',
});
