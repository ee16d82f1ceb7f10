// The source text of a greeter service as a user writes it against the published package
// ('micro-ts'), for the tests that run such a file outside this repository (the single executable,
// the runner's framework hook).

/** What differs between the tests' greeter files. */
export interface GreeterSource {
  /** The import lines; they must bring createService, createMemoryRegistry, endpoint and Service. */
  imports: string;
  /** The expression Say.Hello answers as `msg`, with the request in `req`. */
  msg: string;
  /** What runs between service.start() and service.stop(), e.g. a call whose answer it prints. */
  body: string;
}

/** A file that starts a quiet greeter on a memory registry, runs `body`, and stops it. */
export const greeterSource = ({ imports, msg, body }: GreeterSource): string => `
${imports}

interface HelloRequest { name: string }

const service: Service = createService({
  name: 'greeter',
  address: '127.0.0.1:0',
  registry: createMemoryRegistry(),
  handleSignals: false,
});
service.handle('Say', {
  Hello: endpoint({}, async (req: HelloRequest) => ({ msg: ${msg} })),
});
await service.start();
${body}
await service.stop();
`;
