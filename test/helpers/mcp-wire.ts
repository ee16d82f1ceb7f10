// What an MCP client puts on the wire first, for the tests that speak Streamable HTTP by hand.

/** The initialize request a client sends first, naming itself `name`. */
export const initializeRequest = (name: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name, version: '1' },
  },
});

/** The headers of a Streamable HTTP POST: JSON in, JSON or an event stream out. */
export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
