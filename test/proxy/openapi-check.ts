// A structural check of an OpenAPI 3.1 document, after the rules of the specification that a
// generated document can break: what its objects must hold, unique operation ids and tags, path
// parameters that match their templates, and $refs that resolve.

type Json = Record<string, unknown>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PATH_ITEM_FIELDS = new Set(['$ref', 'summary', 'description', 'servers', 'parameters']);

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value a local `$ref` (`#/a/b`) points at; undefined when it points at nothing. */
function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** Every problem found in the document; none for a valid one. */
export function openApiProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const fail = (m: string): void => void problems.push(m);
  if (!isObject(doc)) return ['the document is not an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi))
    fail(`openapi is ${JSON.stringify(doc.openapi)}, not 3.1.x`);
  const info = doc.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string')
    fail('info needs a title and a version, both strings');
  if (!isObject(doc.paths)) return [...problems, 'paths is not an object'];
  if (doc.tags !== undefined) {
    if (!Array.isArray(doc.tags)) fail('tags is not a list');
    const names = new Set<string>();
    for (const t of (doc.tags as unknown[]) ?? []) {
      if (!isObject(t) || typeof t.name !== 'string')
        fail(`a tag without a name: ${JSON.stringify(t)}`);
      else if (names.has(t.name)) fail(`tag ${t.name} is listed twice`);
      else names.add(t.name);
    }
  }
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) fail(`path ${path} does not start with /`);
    if (!isObject(item)) {
      fail(`path ${path} is not a Path Item`);
      continue;
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
    for (const [method, op] of Object.entries(item)) {
      if (PATH_ITEM_FIELDS.has(method) || method.startsWith('x-')) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.has(method)) fail(`${where}: ${method} is not an HTTP method OpenAPI knows`);
      if (!isObject(op)) {
        fail(`${where} is not an Operation`);
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (ids.has(op.operationId)) fail(`${where}: operationId ${op.operationId} is used twice`);
        ids.add(op.operationId);
      }
      if (!isObject(op.responses) || Object.keys(op.responses).length === 0)
        fail(`${where} has no responses`);
      const params = (op.parameters ?? []) as unknown[];
      if (!Array.isArray(params)) fail(`${where}: parameters is not a list`);
      const seen = new Set<string>();
      const inPath: string[] = [];
      for (const p of params) {
        if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') {
          fail(`${where}: a parameter without a name or in`);
          continue;
        }
        if (!['query', 'header', 'path', 'cookie'].includes(p.in))
          fail(`${where}: parameter ${p.name} is in ${p.in}`);
        if (seen.has(`${p.in} ${p.name}`)) fail(`${where}: parameter ${p.name} is listed twice`);
        seen.add(`${p.in} ${p.name}`);
        if (p.in === 'path') {
          inPath.push(p.name);
          if (p.required !== true) fail(`${where}: path parameter ${p.name} is not required`);
        }
        if (!isObject(p.schema) && !isObject(p.content))
          fail(`${where}: parameter ${p.name} has neither schema nor content`);
      }
      for (const name of templated)
        if (!inPath.includes(name)) fail(`${where}: {${name}} is not a path parameter`);
      for (const name of inPath)
        if (!templated.includes(name)) fail(`${where}: path parameter ${name} is not in the path`);
      if (op.requestBody !== undefined && !isObject((op.requestBody as Json).content))
        fail(`${where}: requestBody has no content`);
    }
  }
  // Every $ref resolves inside the document.
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (isObject(v)) {
      if (typeof v.$ref === 'string' && resolve(doc, v.$ref) === undefined)
        fail(`$ref ${v.$ref} points at nothing`);
      stack.push(...Object.values(v));
    }
  }
  return problems;
}
