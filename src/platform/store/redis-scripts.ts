// The Redis store's Lua scripts: each runs atomically on the server (EVALSHA), so a write's checks,
// its effects, its index updates and its watch message happen as one step.
//
// Layout under a namespace `<root>` (`micro:store`) for database D and table T:
//   <root>:e:D:T:<key>  hash {v: JSON text, r: version, e?: expiresAt ms}, PEXPIREd with a ttl
//   <root>:i:D:T        sorted set of the table's keys (all score 0: ordered by bytes, ZRANGEBYLEX)
//   <root>:x:D:T        sorted set of its leased keys, scored by expiry, to drop lapsed ones from i
//   <root>:n            sorted set of `D:T` for the tables that hold keys
//   <root>:r            the version counter (INCR: a version is never handed out twice)
//   <root>:w:D:T        the pub/sub channel of the table's changes: `p\0<version>\0<key>\0<json>`
//                       or `d\0\0<key>` (neither keys nor JSON text hold a NUL)

/** Drops the lapsed keys of the table whose `x` and `i` sets are given from both (Lua, inlined). */
const SWEEP = `
local function sweep(i, x, e, now)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', x, '-inf', now, 'LIMIT', 0, 1000)) do
    if redis.call('EXISTS', e .. m) == 0 then redis.call('ZREM', i, m) end
    redis.call('ZREM', x, m)
  end
end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Applies operations all or none. KEYS: i, x, r, n. ARGV: entry prefix `<root>:e:D:T:`, channel,
 * `D:T`, then per operation five: `p` or `d`, key, JSON text, ttl ms or '', condition ('' | `a`
 * for ifAbsent | `v<version>` for ifVersion). Returns {'409', index, why} for the first failed
 * condition, else {'ok', version, now ms, then per operation 1 when it changed a key, else 0}.
 */
export const WRITE = `${SWEEP}
local i, x, r, n = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local e, ch, ns = ARGV[1], ARGV[2], ARGV[3]
local count = (#ARGV - 3) / 5
for k = 0, count - 1 do
  local key, cond = ARGV[4 + k * 5 + 1], ARGV[4 + k * 5 + 4]
  local v = redis.call('HGET', e .. key, 'r')
  if cond == 'a' and v then return {'409', k, 'already exists (version ' .. v .. ')'} end
  if string.sub(cond, 1, 1) == 'v' then
    local want = string.sub(cond, 2)
    if not v then return {'409', k, 'does not exist (expected version ' .. want .. ')'} end
    if v ~= want then return {'409', k, 'is at version ' .. v .. ', not ' .. want} end
  end
end
local version = tostring(redis.call('INCR', r))
local now = clock()
local out = {'ok', version, now}
for k = 0, count - 1 do
  local op, key = ARGV[4 + k * 5], ARGV[4 + k * 5 + 1]
  local json, ttl = ARGV[4 + k * 5 + 2], ARGV[4 + k * 5 + 3]
  if op == 'p' then
    redis.call('DEL', e .. key)
    if ttl ~= '' then
      redis.call('HSET', e .. key, 'v', json, 'r', version, 'e', now + tonumber(ttl))
      redis.call('PEXPIRE', e .. key, ttl)
      redis.call('ZADD', x, now + tonumber(ttl), key)
    else
      redis.call('HSET', e .. key, 'v', json, 'r', version)
      redis.call('ZREM', x, key)
    end
    redis.call('ZADD', i, 0, key)
    redis.call('PUBLISH', ch, 'p\\0' .. version .. '\\0' .. key .. '\\0' .. json)
    out[#out + 1] = 1
  else
    local gone = redis.call('DEL', e .. key)
    redis.call('ZREM', i, key)
    redis.call('ZREM', x, key)
    if gone == 1 then redis.call('PUBLISH', ch, 'd\\0\\0' .. key) end
    out[#out + 1] = gone
  end
end
sweep(i, x, e, now)
if redis.call('ZCARD', i) == 0 then redis.call('ZREM', n, ns) else redis.call('ZADD', n, 0, ns) end
return out
`;

/**
 * One page of a table in key order. KEYS: i, x, n. ARGV: entry prefix, `D:T`, prefix, where to
 * start (a ZRANGEBYLEX min: `-`, `[<prefix>` or `(<cursor>`), limit, keysOnly (`1` or ''). Returns flat {key, json or '', version, expiresAt or ''} for
 * up to limit + 1 live entries (one more than the page tells that there is a next).
 */
export const LIST = `${SWEEP}
local i, x, n = KEYS[1], KEYS[2], KEYS[3]
local e, ns, prefix, min = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local want, keysOnly = tonumber(ARGV[5]) + 1, ARGV[6] == '1'
sweep(i, x, e, clock())
local max = '+'
if prefix ~= '' then max = '[' .. prefix .. '\\255' end
local out, found = {}, 0
for round = 1, 100 do
  local keys = redis.call('ZRANGEBYLEX', i, min, max, 'LIMIT', 0, want - found)
  for _, key in ipairs(keys) do
    local h = redis.call('HMGET', e .. key, 'v', 'r', 'e')
    if h[2] then
      local json = h[1]
      if keysOnly then json = '' end
      out[#out + 1] = key; out[#out + 1] = json; out[#out + 1] = h[2]; out[#out + 1] = h[3] or ''
      found = found + 1
    else
      redis.call('ZREM', i, key) -- lapsed, not yet swept
    end
    min = '(' .. key
  end
  if found >= want or #keys == 0 then break end
end
if redis.call('ZCARD', i) == 0 then redis.call('ZREM', n, ns) end
return out
`;

/**
 * The tables that hold live keys. KEYS: n. ARGV: `<root>:`. Sweeps each table's lapsed keys and
 * drops tables left empty; returns the `D:T` of the others (at most 10,000 looked at).
 */
export const NAMESPACES = `${SWEEP}
local n, root, now = KEYS[1], ARGV[1], clock()
local out = {}
for _, ns in ipairs(redis.call('ZRANGE', n, 0, 9999)) do
  local i, x = root .. 'i:' .. ns, root .. 'x:' .. ns
  sweep(i, x, root .. 'e:' .. ns .. ':', now)
  if redis.call('ZCARD', i) == 0 then redis.call('ZREM', n, ns) else out[#out + 1] = ns end
end
return out
`;
