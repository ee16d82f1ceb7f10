/**
 * A small certificate authority in `<dataDir>/tls/`: an ECDSA P-256 root (ca.key, mode 0600, and
 * ca.crt, 10 years) made on first use, issuing each service a 90-day certificate for both TLS
 * sides (serverAuth and clientAuth) naming 127.0.0.1, ::1, localhost and the hosts given. Limits:
 * no revocation list and no intermediate; a certificate is issued anew at each (re)start, and one
 * that leaked stays valid until it expires (delete `tls/` to start a new CA: every certificate
 * then stops being trusted). @peculiar/x509 loads on the first call, not when this module does.
 */
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { NAME } from '../../registry/validate.ts';
import { badRequest } from '../../runtime/errors.ts';

/** The error id of the CA's failures. */
export const CA_ID = 'micro.tls';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** A certificate's lifetime: 90 days (the CA's: 10 years). */
export const CERT_DAYS = 90;
const CA_DAYS = 3652;
/** The names every certificate carries, so that loopback callers verify it. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;
const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A key and certificate the CA issued, as PEM and where they were written. */
export interface IssuedCertificate {
  /** The private key (PKCS #8 PEM). */
  key: string;
  /** The certificate (PEM). */
  cert: string;
  /** The CA's certificate (PEM), for peers to trust. */
  ca: string;
  /** `<dataDir>/tls/services/<name>.key` (mode 0600). */
  keyPath: string;
  /** `<dataDir>/tls/services/<name>.crt`. */
  certPath: string;
  /** `<dataDir>/tls/ca.crt`. */
  caPath: string;
}

/** The CA of a data dir. */
export interface CertificateAuthority {
  /** `<dataDir>/tls`. */
  readonly dir: string;
  /** Where its certificate is: what `curl --cacert` and MICRO_TLS_CA take. */
  readonly certPath: string;
  /** Its certificate (PEM). */
  readonly cert: string;
  /** Issues a certificate for a service, valid for loopback and the hosts given, and writes it. */
  issue(name: string, hosts?: string[]): Promise<IssuedCertificate>;
}

type X509 = typeof import('@peculiar/x509');
let library: Promise<X509> | undefined;
/** Loads @peculiar/x509 (reflect-metadata first, as it needs) with Node's WebCrypto. */
const x509 = (): Promise<X509> =>
  (library ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<typeof lib.cryptoProvider.set>[0]);
    return lib;
  })());

/** A random positive serial number, as hex. */
const serial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
};

const keyPem = (key: webcrypto.CryptoKey): string =>
  KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();

/** Writes a file readable by its owner only, whole (through a rename), whatever mode it had. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The hosts a certificate names, checked: IP addresses and DNS names (a 400 naming a bad one). */
export function checkHosts(hosts: readonly string[]): string[] {
  const out = new Set<string>(LOOPBACK_HOSTS);
  for (const h of hosts) {
    const host = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
    if (isIP(host) === 0 && (host.length > 253 || !DNS_NAME.test(host)))
      throw badRequest(
        CA_ID,
        `host ${JSON.stringify(h.slice(0, 80))} is neither an IP address nor a DNS name`,
      );
    out.add(host.toLowerCase());
  }
  return [...out];
}

/** Makes the CA's key and certificate and puts them in place, unless another process did first. */
async function create(dir: string): Promise<void> {
  const lib = await x509();
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=micro CA ${randomBytes(4).toString('hex')}, O=micro`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_DAYS * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(
        lib.KeyUsageFlags.keyCertSign |
          lib.KeyUsageFlags.cRLSign |
          lib.KeyUsageFlags.digitalSignature,
        true,
      ),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const keyTmp = join(dir, `ca.key.${tag}`);
  const certTmp = join(dir, `ca.crt.${tag}`);
  writeFileSync(keyTmp, keyPem(keys.privateKey), { mode: 0o600 });
  writeFileSync(certTmp, cert.toString('pem'), { mode: 0o644 });
  try {
    // link fails when the file exists: of two processes starting at once, one CA wins.
    linkSync(keyTmp, join(dir, 'ca.key'));
    renameSync(certTmp, join(dir, 'ca.crt'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(keyTmp, { force: true });
    rmSync(certTmp, { force: true });
  }
}

/** Reads the CA's certificate, waiting (bounded) for a process that is writing it. */
async function readCert(path: string): Promise<string> {
  for (let i = 0; ; i++) {
    if (existsSync(path) || i >= 50) return readFileSync(path, 'utf8');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The CA in `<dataDir>/tls`, created on first use. */
export async function openCertificateAuthority(dataDir: string): Promise<CertificateAuthority> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  mkdirSync(join(dir, 'services'), { recursive: true, mode: 0o700 });
  if (!existsSync(keyPath)) await create(dir);
  const cert = await readCert(certPath);
  return {
    dir,
    certPath,
    cert,
    async issue(name, hosts = []) {
      if (typeof name !== 'string' || name.length > 128 || !NAME.test(name))
        throw badRequest(
          CA_ID,
          `"${String(name).slice(0, 40)}" is not a valid service name: use letters, digits, ., - and _ (not starting with . or -)`,
        );
      const names = checkHosts(hosts);
      const lib = await x509();
      const ca = new lib.X509Certificate(cert);
      if (ca.notAfter.getTime() < Date.now())
        throw badRequest(
          CA_ID,
          `the CA in ${dir} expired on ${ca.notAfter.toISOString()}: delete ${dir} to make a new one`,
        );
      const caKey = createPrivateKey(readFileSync(keyPath)).toCryptoKey(ALG, false, ['sign']);
      const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
      const now = Date.now();
      const issued = await lib.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${name}, O=micro`,
        issuer: ca.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(Math.min(now + CERT_DAYS * DAY, ca.notAfter.getTime())),
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions: [
          new lib.BasicConstraintsExtension(false, undefined, true),
          new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
          new lib.ExtendedKeyUsageExtension(
            [lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth],
            false,
          ),
          new lib.SubjectAlternativeNameExtension(
            names.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value })),
          ),
          await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await lib.AuthorityKeyIdentifierExtension.create(ca),
        ],
      });
      const out: IssuedCertificate = {
        key: keyPem(keys.privateKey),
        cert: issued.toString('pem'),
        ca: cert,
        keyPath: join(dir, 'services', `${name}.key`),
        certPath: join(dir, 'services', `${name}.crt`),
        caPath: certPath,
      };
      writePrivate(out.keyPath, out.key);
      writeFileSync(out.certPath, out.cert);
      return out;
    },
  };
}
