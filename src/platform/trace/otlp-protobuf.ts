// OTLP's binary encoding for the receiver: an ExportTraceServiceRequest (opentelemetry-proto's
// collector/trace/v1, trace/v1, common/v1 and resource/v1 messages, written here from the spec's
// field numbers, only the fields micro reads) decoded with protobufjs into the OTLP JSON shape that
// decodeOtlpJson takes (ids as hex, times as strings of nanoseconds), and a google.rpc.Status
// encoded for a refusal. A body that is not such a message is a 400; fields micro does not read
// (links, trace state, flags, dropped counts) are skipped.
import protobuf from 'protobufjs/light.js';
import { invalid } from './validate.ts';

const field = (type: string, id: number, rule?: 'repeated') => ({
  type,
  id,
  ...(rule && { rule }),
});

// Only the fields micro reads, with opentelemetry-proto's numbers; the rest is skipped on decoding.
const root = protobuf.Root.fromJSON({
  nested: {
    AnyValue: {
      oneofs: {
        value: {
          oneof: [
            'stringValue',
            'boolValue',
            'intValue',
            'doubleValue',
            'arrayValue',
            'kvlistValue',
            'bytesValue',
          ],
        },
      },
      fields: {
        stringValue: field('string', 1),
        boolValue: field('bool', 2),
        intValue: field('int64', 3),
        doubleValue: field('double', 4),
        arrayValue: field('ArrayValue', 5),
        kvlistValue: field('KeyValueList', 6),
        bytesValue: field('bytes', 7),
      },
    },
    ArrayValue: { fields: { values: field('AnyValue', 1, 'repeated') } },
    KeyValueList: { fields: { values: field('KeyValue', 1, 'repeated') } },
    KeyValue: { fields: { key: field('string', 1), value: field('AnyValue', 2) } },
    Resource: { fields: { attributes: field('KeyValue', 1, 'repeated') } },
    Status: { fields: { message: field('string', 2), code: field('int32', 3) } },
    Event: {
      fields: {
        timeUnixNano: field('fixed64', 1),
        name: field('string', 2),
        attributes: field('KeyValue', 3, 'repeated'),
      },
    },
    Span: {
      fields: {
        traceId: field('bytes', 1),
        spanId: field('bytes', 2),
        parentSpanId: field('bytes', 4),
        name: field('string', 5),
        kind: field('int32', 6),
        startTimeUnixNano: field('fixed64', 7),
        endTimeUnixNano: field('fixed64', 8),
        attributes: field('KeyValue', 9, 'repeated'),
        events: field('Event', 11, 'repeated'),
        status: field('Status', 15),
      },
    },
    ScopeSpans: { fields: { spans: field('Span', 2, 'repeated') } },
    ResourceSpans: {
      fields: { resource: field('Resource', 1), scopeSpans: field('ScopeSpans', 2, 'repeated') },
    },
    ExportTraceServiceRequest: { fields: { resourceSpans: field('ResourceSpans', 1, 'repeated') } },
    RpcStatus: { fields: { code: field('int32', 1), message: field('string', 2) } },
  },
});

const Request = root.lookupType('ExportTraceServiceRequest');
const RpcStatus = root.lookupType('RpcStatus');

/** Ids as hex, the bytes of a value as base64, 64-bit numbers as strings, as OTLP JSON has them. */
const HEX_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

function toJsonShape(value: unknown, key = ''): unknown {
  if (value instanceof Uint8Array)
    return HEX_FIELDS.has(key)
      ? Buffer.from(value).toString('hex')
      : Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => toJsonShape(v));
  if (typeof value === 'object' && value !== null) {
    // A protobufjs Long (64-bit fields).
    if ('low' in value && 'high' in value && 'unsigned' in value)
      return (value as { toString(): string }).toString();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonShape(v, k)]));
  }
  return value;
}

/** The OTLP JSON shape of a binary ExportTraceServiceRequest; a 400 when it is not one. */
export function decodeOtlpProtobuf(body: Uint8Array): unknown {
  let message: protobuf.Message;
  try {
    message = Request.decode(body);
  } catch (err) {
    throw invalid(
      `the body is not a protobuf ExportTraceServiceRequest: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  const plain = Request.toObject(message, { longs: String, defaults: false, oneofs: false });
  return toJsonShape(plain);
}

/** A google.rpc.Status (code, message) in protobuf, the body of a refusal of a protobuf request. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.create({ code, message })).finish();
}
