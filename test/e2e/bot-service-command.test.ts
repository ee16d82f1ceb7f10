import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, Service } from '../../src/runtime/index.ts';
import { micro } from '../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../helpers/control-plane.ts';
import { closeAll, greeterService } from '../helpers/fixtures.ts';
import { startNode, stopAll } from '../helpers/proc.ts';

const example = fileURLToPath(new URL('../../examples/bot-commands/service.ts', import.meta.url));

describe('a command provided by a service, through `micro bot --inputs stdin`', () => {
  let cp: TestControlPlane;
  let registry: Registry;
  let greeter: Service;

  before(async () => {
    cp = await startTestControlPlane('micro-bot-e2e-');
    registry = createMicroRegistry({ address: cp.address });
    greeter = greeterService(registry);
    await greeter.start();
    await startNode(example, [], { MICRO_REGISTRY_ADDRESS: cp.address }).waitFor(
      /^uptime \S+ listening on/,
    );
  });
  after(async () => {
    await stopAll();
    await closeAll(greeter, registry, cp);
  });

  it('lists the service’s command in help and runs it, its errors replied', async () => {
    const run = await micro(['bot', '--inputs', 'stdin'], {
      env: { MICRO_REGISTRY_ADDRESS: cp.address },
      input: 'help\nuptime greeter\nuptime nope\nUPTIME\n',
    });
    // The one error replied makes a script's bot exit 1, saying so.
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^micro bot: 1 command failed$/m);
    const replies = run.stdout.trimEnd().split('\n\n');
    assert.equal(replies.length, 4, run.stdout);
    const [help = '', table = '', error = '', host = ''] = replies;
    assert.match(
      help,
      /^uptime \[service\] +how long this host, or each node of a service, has been up$/m,
    );
    assert.doesNotMatch(
      help,
      /^uptime \[service\] +yes/m,
      'readOnly: not marked as changing state',
    );
    const lines = table.split('\n');
    assert.match(lines[0] ?? '', /^NODE +VERSION +UP +CALLS +ERRORS$/);
    assert.match(lines[1] ?? '', new RegExp(`^${greeter.server.id} +1\\.0\\.0 +`));
    assert.equal(error, 'error 500 (uptime): no service "nope" is registered');
    assert.match(host, / up .+, load /);
  });
});
