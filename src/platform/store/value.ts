// Values as a store keeps them: JSON checked by walking it (src/platform/json-walk.ts), then
// measured as the JSON text stored.
import { STORE_LIMITS } from './store.ts';
import { invalid, kind, shown } from './errors.ts';
import { walkJson, type JsonRules } from '../json-walk.ts';

const rules: JsonRules = {
  depth: STORE_LIMITS.depth,
  noun: 'value',
  invalid,
  kind,
  shown,
};

/** The value as the JSON text to store; a 400 naming the member that is not JSON, or the size. */
export function checkValue(value: unknown, field = 'value'): string {
  walkJson(value, field, rules);
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text);
  if (bytes > STORE_LIMITS.valueBytes)
    throw invalid(`${field} is ${bytes} bytes as JSON; the limit is ${STORE_LIMITS.valueBytes}`);
  return text;
}
