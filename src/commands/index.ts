import type { CommandModule } from 'yargs';
import { apiCommand } from './api.ts';
import { authCommand } from './auth/index.ts';
import { botCommand } from './bot.ts';
import { callCommand } from './call.ts';
import { completionCommand } from './completion.ts';
import { configCommand } from './config.ts';
import { dbCommand } from './db.ts';
import { deregisterCommand } from './deregister.ts';
import { doctorCommand } from './doctor.ts';
import { eventsCommand } from './events.ts';
import { execCommand } from './exec.ts';
import { exploreCommand } from './explore.ts';
import { genCommand } from './gen.ts';
import { getCommand } from './get.ts';
import { healthCommand } from './health.ts';
import { killCommand } from './kill.ts';
import { listCommand } from './list.ts';
import { loginCommand, logoutCommand, whoamiCommand } from './login.ts';
import { logsCommand } from './logs.ts';
import { mcpCommand } from './mcp.ts';
import { newCommand } from './new/index.ts';
import { psCommand } from './ps.ts';
import { publishCommand } from './publish.ts';
import { registerCommand } from './register.ts';
import { registryCommand } from './registry.ts';
import { routeCommand } from './route.ts';
import { runCommand } from './run.ts';
import { sidecarCommand } from './sidecar.ts';
import { statsCommand } from './stats.ts';
import { storeCommand } from './store.ts';
import { streamCommand } from './stream.ts';
import { syncCommand } from './sync.ts';
import { testCommand } from './test.ts';
import { tlsCommand } from './tls.ts';
import { traceCommand } from './trace/index.ts';
import { webCommand } from './web.ts';

/** Every `micro` subcommand, listed statically: a bundled single binary cannot scan its folders. */
export const commands: CommandModule[] = [
  runCommand,
  newCommand,
  testCommand,
  registryCommand,
  apiCommand,
  sidecarCommand,
  webCommand,
  tlsCommand,
  psCommand,
  killCommand,
  logsCommand,
  execCommand,
  listCommand,
  getCommand,
  genCommand,
  callCommand,
  streamCommand,
  publishCommand,
  healthCommand,
  statsCommand,
  traceCommand,
  storeCommand,
  configCommand,
  routeCommand,
  syncCommand,
  dbCommand,
  eventsCommand,
  mcpCommand,
  botCommand,
  loginCommand,
  logoutCommand,
  whoamiCommand,
  authCommand,
  registerCommand,
  deregisterCommand,
  doctorCommand,
  exploreCommand,
  completionCommand,
] as CommandModule[];
