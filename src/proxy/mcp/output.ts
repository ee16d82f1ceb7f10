// A tool's answer checked against its output schema before it is given as structured content,
// with the validator the official SDK's client uses (its ajv, formats included). MCP servers MUST
// give structured content that conforms, and that client refuses a whole result that does not (a
// protocol error, the answer lost): so an answer its schema does not describe is said as a tool
// error instead (invoke.ts makes it a 502 naming what did not match).
//
// Guarantees: a tool's schema is compiled once, at its first answer (ajv and its formats are
// loaded then); validators belong to the tool list they were made for (one ajv per list, tied to
// its tools), so they go when the list is rebuilt. A schema that would not compile (schema.ts
// keeps those out) checks nothing. Limits: the mismatch said is cut at 300 characters.
import type { McpTool } from './mcp.ts';

type Check = (value: unknown) => string | undefined;
type Validator = import('@modelcontextprotocol/sdk/validation/ajv').AjvJsonSchemaValidator;

/** One list's validator, made at the first answer of any of its tools. */
interface Owner {
  validator?: Validator;
}

const owners = new WeakMap<McpTool, Owner>();
const checks = new WeakMap<McpTool, Check>();
let load: Promise<typeof import('@modelcontextprotocol/sdk/validation/ajv')> | undefined;

/** Ties the tools of one list to one validator (called by buildTools). */
export function ownTools(tools: readonly McpTool[]): void {
  const owner: Owner = {};
  for (const t of tools) owners.set(t, owner);
}

/** What in `value` its tool's output schema does not describe; undefined when it matches (or there is none). */
export async function outputMismatch(tool: McpTool, value: unknown): Promise<string | undefined> {
  if (!tool.outputSchema) return undefined;
  let check = checks.get(tool);
  if (!check) {
    const { AjvJsonSchemaValidator } = await (load ??=
      import('@modelcontextprotocol/sdk/validation/ajv'));
    let owner = owners.get(tool);
    if (!owner) owners.set(tool, (owner = {}));
    owner.validator ??= new AjvJsonSchemaValidator();
    try {
      const validate = owner.validator.getValidator(tool.outputSchema);
      check = (v) => {
        const r = validate(v);
        return r.valid ? undefined : (r.errorMessage ?? 'no detail').slice(0, 300);
      };
    } catch {
      check = () => undefined;
    }
    checks.set(tool, check);
  }
  return check(value);
}
