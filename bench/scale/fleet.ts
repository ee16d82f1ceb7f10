// The fleet the scale benchmark registers: N services of 2 nodes each, with 5 endpoints whose
// request and response schemas look like a real API's (nested objects, arrays, enums).
import type { Endpoint, Node, Service } from '../../src/registry/registry.ts';
import { nodeMetadata } from '../registry/fleet.ts';

const money = {
  type: 'object',
  properties: {
    currency: { type: 'string', minLength: 3, maxLength: 3 },
    units: { type: 'integer' },
  },
  required: ['currency', 'units'],
};
const item = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    quantity: { type: 'integer', minimum: 1 },
    price: money,
    options: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['sku', 'quantity'],
};
const order = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'paid', 'shipped', 'cancelled'] },
    items: { type: 'array', items: item },
    total: money,
    created: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'status', 'items'],
};
const byId = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

/** Five endpoints of a typical resource service, the same in every service (as generated code is). */
const ENDPOINTS: Endpoint[] = [
  {
    name: 'Orders.Create',
    request: {
      type: 'object',
      properties: { customer: { type: 'string' }, items: { type: 'array', items: item } },
      required: ['customer', 'items'],
    },
    response: order,
    metadata: {},
  },
  { name: 'Orders.Get', request: byId, response: order, metadata: {} },
  {
    name: 'Orders.List',
    request: {
      type: 'object',
      properties: {
        customer: { type: 'string' },
        status: order.properties.status,
        limit: { type: 'integer', maximum: 500 },
        cursor: { type: 'string' },
      },
    },
    response: {
      type: 'object',
      properties: { orders: { type: 'array', items: order }, next: { type: 'string' } },
    },
    metadata: {},
  },
  {
    name: 'Orders.Cancel',
    request: {
      type: 'object',
      properties: { id: { type: 'string' }, reason: { type: 'string' } },
      required: ['id'],
    },
    response: order,
    metadata: {},
  },
  { name: 'Orders.Watch', request: byId, response: order, metadata: { stream: 'server' } },
];

/** The name of service number s (from 1): `svc-2` sorts before `svc-10` only in natural order. */
export const serviceName = (s: number): string => `svc-${s}`;

/** Node n (0 or 1) of service number s, as createService records a node. */
function node(s: number, n: number): Node {
  const port = 20_000 + ((s * 2 + n) % 40_000);
  return {
    id: `${serviceName(s)}-${n}-${((s * 2 + n) * 2654435761) % 4294967296}`,
    address: `127.0.0.1:${port}`,
    metadata: nodeMetadata(port),
  };
}

/** Service number s with its node n only: what one node's registration carries. */
export const nodeRecord = (s: number, n: number): Service => ({
  name: serviceName(s),
  version: '1.0.0',
  metadata: { team: `team-${s % 17}` },
  endpoints: ENDPOINTS,
  nodes: [node(s, n)],
});

/** Service number s with both its nodes: what a deregistration of the whole service names. */
export const serviceRecord = (s: number): Service => ({
  ...nodeRecord(s, 0),
  nodes: [node(s, 0), node(s, 1)],
});

/** Nodes per service. */
export const NODES = 2;
