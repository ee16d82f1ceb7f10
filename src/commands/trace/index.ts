// `micro trace list|get|map`: the traces the control plane's `trace` service keeps, read from the
// command line: a list with filters, one trace as a waterfall with its log lines (from the `logs`
// service when there is one), and the map of which services call which. -o json prints the
// service's answers as they are; failures print the error JSON and exit 1.
import { defineCommand, defineGroup } from '../shared/command.ts';
import { print } from '../shared/output.ts';
import { singleValued } from '../shared/once.ts';
import { listText, mapText, waterfallText } from './render.ts';
import { traceLogs } from '../../ui/trace-logs.ts';
import { listQuery, traceId, withTrace } from './shared.ts';

const list = defineCommand({
  command: 'list',
  describe: 'List recent traces, newest first',
  builder: (y) =>
    y
      .option('service', { type: 'string', describe: 'with a span of this service' })
      .option('endpoint', { type: 'string', describe: 'with a span of this endpoint (Say.Hello)' })
      .option('status', { type: 'string', describe: 'ok or error (has an error span)' })
      .option('min', { type: 'string', describe: 'took at least this long (10ms, 1s)' })
      .option('max', { type: 'string', describe: 'took at most this long (10ms, 1s)' })
      .option('since', { type: 'string', describe: 'started since a duration ago (10m) or a time' })
      .option('until', { type: 'string', describe: 'started before a duration ago or a time' })
      .option('limit', { alias: 'n', type: 'number', describe: 'at most this many (default 50)' })
      .example('micro trace list --service greeter --status error --since 10m', '')
      .example('micro trace list --min 100ms -n 10', ''),
  handler: async (args) => {
    singleValued(args);
    const query = listQuery(args);
    const traces = await withTrace(args, (trace) => trace.list(query));
    print(args.output, traces, listText);
  },
});

const get = defineCommand({
  command: 'get <id>',
  describe: 'Show a trace as a waterfall, with its log lines',
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'the trace id' })
      .option('width', { type: 'number', describe: 'cells of the bars (default 40)' })
      .parserConfiguration({ 'parse-positional-numbers': false })
      .example('micro trace get 4bf92f3577b34da6a3ce929d0e0e4736', ''),
  handler: async (args) => {
    singleValued(args);
    const id = traceId(String(args.id));
    const width = Math.min(200, Math.max(10, Math.floor(args.width ?? 40) || 40));
    const [detail, logs] = await withTrace(args, async (trace, client) =>
      Promise.all([trace.get(id), traceLogs(client, id)]),
    );
    if (args.output === 'json') {
      print('json', { ...detail, ...('records' in logs && { logs: logs.records }) }, () => '');
      return;
    }
    const colour = process.stdout.isTTY && !process.env.NO_COLOR;
    process.stdout.write(`${waterfallText(detail, logs, { colour, width })}\n`);
  },
});

const map = defineCommand({
  command: 'map',
  describe: 'Show which services call which, with call and error rates',
  builder: (y) =>
    y
      .option('since', { type: 'string', describe: 'from a duration ago (default 15m) or a time' })
      .option('until', { type: 'string', describe: 'to a duration ago or a time (default now)' })
      .example('micro trace map --since 1h', ''),
  handler: async (args) => {
    singleValued(args);
    const { since, until } = listQuery({ since: args.since, until: args.until });
    const found = await withTrace(args, (trace) =>
      trace.map({ ...(since !== undefined && { since }), ...(until !== undefined && { until }) }),
    );
    print(args.output, found, mapText);
  },
});

/** `micro trace list|get|map`. */
export const traceCommand = defineGroup({
  command: 'trace',
  describe: 'List traces, show one as a waterfall, map the calls',
  subcommands: [list, get, map],
  missing: 'trace what? micro trace list|get ID|map',
});
