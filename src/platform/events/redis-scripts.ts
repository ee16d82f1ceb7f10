// The Redis events engine's Lua scripts: each runs atomically on the server (EVALSHA), so a
// publish's offset, idempotency key, trim and time, or a claim's redelivery and dead letter, happen
// as one step. They compute the keys they touch (one server, no cluster, as the store's scripts).
//
// Layout under `<root>` (`micro:events:`) for topic T and group G:
//   <root>s:T    the stream; an event's entry id is `<offset>-0`, fields i (id), t (time ms),
//                m (metadata JSON), d (data JSON), and k (key) when it has one
//   <root>m:T    hash: o (last offset), t (last time), a (maxAge), c (maxCount)
//   <root>k:T:K  `<offset> <id> <time>` of the event stored with key K, expiring after the window
//   <root>topics sorted set (score 0) of topics published to, grouped or configured
//   <root>g:T    hash: G -> JSON {a: ackTimeout claims go by, w?: the one asked last (applied
//                once nothing is pending), n: maxDeliveries, d: deadLetter}
//   <root>x:T    hash: G -> events G dead-lettered
//   <root>d:T:G  hash: entry id -> ms before which a nacked entry is not delivered again
//   <root>p:T:G  sorted set: member -> ms until which it counts as present
import { LIB, NACKED, PRESENCE } from './redis-lua.ts';

/**
 * ARGV: root, topic, then per event its head and data (see publish). Returns the events' time,
 * then per event its offset, or `<offset> <id> <time>` of the event its key stored before.
 */
export const PUBLISH = `${LIB}
return publish(ARGV[1], ARGV[2], clock(), ARGV, 3)`;

/** ARGV: root, topic, start kind, start value. Returns the offset before the first to deliver. */
export const START = `${LIB}
trim(ARGV[1], ARGV[2], clock())
return before(ARGV[1], ARGV[2], ARGV[3], ARGV[4])`;

/**
 * Makes a group at its start, or keeps the existing one's position; sets its options and counts
 * the member present; returns the ackTimeout claims go by (the previous one while entries are
 * pending, see \`w\`). ARGV: root, topic, group, member, ackTimeout, maxDeliveries, deadLetter,
 * start kind, start value.
 */
export const JOIN = `${LIB}
local root, topic, group, member = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = clock()
trim(root, topic, now)
local s = root .. 's:' .. topic
local made = redis.pcall('XGROUP', 'CREATE', s, group, before(root, topic, ARGV[8], ARGV[9]) .. '-0', 'MKSTREAM')
if type(made) == 'table' and made.err and not string.find(made.err, 'BUSYGROUP') then return made end
-- A new ackTimeout would apply to what is pending too: it waits until nothing is (w, then a).
local want, a, w = tonumber(ARGV[5]), tonumber(ARGV[5]), nil
local old = redis.call('HGET', root .. 'g:' .. topic, group)
if old and redis.call('XPENDING', s, group)[1] > 0 then
  a = cjson.decode(old).a
  if a ~= want then w = want end
end
redis.call('HSET', root .. 'g:' .. topic, group, cjson.encode({a = a, w = w, n = tonumber(ARGV[6]), d = ARGV[7]}))
redis.call('ZADD', root .. 'topics', 0, topic)
if member ~= '' then redis.call('ZADD', root .. 'p:' .. topic .. ':' .. group, now + ${PRESENCE}, member) end
return a`;

/**
 * A member's look for redeliveries: marks it present; for up to `room` entries pending past the
 * group's ackTimeout (or nacked), dead-letters those delivered maxDeliveries times (publish, ack,
 * count) and claims the others (not before a nack's delay). ARGV: root, topic, group, member,
 * room, then fresh ids for dead letters. Returns {id, attempt, fields} per claimed entry.
 */
export const CLAIM = `${LIB}
local root, topic, group, member, room = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local s, now = root .. 's:' .. topic, clock()
local present = root .. 'p:' .. topic .. ':' .. group
redis.call('ZADD', present, now + ${PRESENCE}, member)
redis.call('ZREMRANGEBYSCORE', present, '-inf', now)
local raw = redis.call('HGET', root .. 'g:' .. topic, group)
if not raw or room <= 0 then return {} end
local o = cjson.decode(raw)
if o.w and redis.call('XPENDING', s, group)[1] == 0 then
  o.a, o.w = o.w, nil
  redis.call('HSET', root .. 'g:' .. topic, group, cjson.encode(o))
end
local later = root .. 'd:' .. topic .. ':' .. group
local out, ids, start = {}, 6, '-'
for page = 1, 10 do
  local pend = redis.call('XPENDING', s, group, 'IDLE', o.a, start, '+', 100)
  for _, p in ipairs(pend) do
    local id, n = p[1], tonumber(p[4])
    start = '(' .. id
    local e = redis.call('XRANGE', s, id, id)[1]
    if not e then
      redis.call('XACK', s, group, id)
      redis.call('HDEL', later, id)
    elseif n >= o.n then
      if ARGV[ids] then
        bury(root, topic, group, o.d, e, 'timeout', ARGV[ids])
        ids = ids + 1
      end
    elseif tonumber(redis.call('HGET', later, id) or '0') <= now then
      local c = redis.call('XCLAIM', s, group, member, o.a, id)[1]
      if c then
        redis.call('HDEL', later, id)
        out[#out + 1] = {id, n + 1, c[2]}
        if #out >= room then return out end
      end
    end
  end
  if #pend < 100 then break end
end
return out`;

/**
 * Nacks an entry: dead-lettered now when delivered maxDeliveries times, else taken by the next
 * claim, not before \`delay\` ms. ARGV: root, topic, group, member, delay, entry id, a fresh id.
 */
export const NACK = `${LIB}
local root, topic, group, member, delay, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local s, later = root .. 's:' .. topic, root .. 'd:' .. topic .. ':' .. group
local raw = redis.call('HGET', root .. 'g:' .. topic, group)
local p = redis.call('XPENDING', s, group, id, id, 1)[1]
if not raw or not p then return 0 end
local o, n = cjson.decode(raw), tonumber(p[4])
local e = redis.call('XRANGE', s, id, id)[1]
if e and n >= o.n then
  bury(root, topic, group, o.d, e, 'nack', ARGV[7])
  return 1
end
redis.call('XCLAIM', s, group, member, 0, id, 'IDLE', ${NACKED}, 'JUSTID')
if delay > 0 then redis.call('HSET', later, id, clock() + delay) end
return 1`;

/** Events from..to (''), stored since..until (''), at most limit + 1. ARGV: root, topic, from, to, since, until, limit. */
export const READ = `${LIB}
local root, topic = ARGV[1], ARGV[2]
local s, m = root .. 's:' .. topic, root .. 'm:' .. topic
trim(root, topic, clock())
local last = tonumber(redis.call('HGET', m, 'o') or '0')
local from = math.max(tonumber(ARGV[3]) or 0, firstOffset(s, last))
local to = math.min(tonumber(ARGV[4]) or last, last)
if from > to then return {} end
if ARGV[5] ~= '' then from = offsetAtTime(s, tonumber(ARGV[5]), from, to) end
if from > to then return {} end
local got = redis.call('XRANGE', s, from .. '-0', to .. '-0', 'COUNT', tonumber(ARGV[7]) + 1)
if ARGV[6] == '' then return got end
local out = {}
for _, e in ipairs(got) do
  if tonumber(field(e, 't')) > tonumber(ARGV[6]) then break end
  out[#out + 1] = e
end
return out`;

/** Topics under a prefix with events or groups, each as info(). ARGV: root, min, max (ZRANGEBYLEX), limit. */
export const TOPICS = `${LIB}
local root, now, out = ARGV[1], clock(), {}
for _, topic in ipairs(redis.call('ZRANGEBYLEX', root .. 'topics', ARGV[2], ARGV[3], 'LIMIT', 0, 10000)) do
  trim(root, topic, now)
  local i = info(root, topic)
  if i[3] > 0 or redis.call('HLEN', root .. 'g:' .. topic) > 0 then out[#out + 1] = i end
  if #out >= tonumber(ARGV[4]) then break end
end
return out`;

/** Sets retention and trims. ARGV: root, topic, maxAge or '', maxCount or ''. Returns info(). */
export const CONFIGURE = `${LIB}
local root, topic = ARGV[1], ARGV[2]
local m = root .. 'm:' .. topic
if ARGV[3] ~= '' then redis.call('HSET', m, 'a', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', m, 'c', ARGV[4]) end
redis.call('ZADD', root .. 'topics', 0, topic)
trim(root, topic, clock())
return info(root, topic)`;

/**
 * A topic's groups (one, when ARGV[3] names it): {name, position, pending, lag, members, dead
 * lettered, options JSON} each. ARGV: root, topic, group or ''.
 */
export const GROUPS = `${LIB}
local root, topic, only = ARGV[1], ARGV[2], ARGV[3]
local s, m, now = root .. 's:' .. topic, root .. 'm:' .. topic, clock()
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', s)
if not ok then return {} end
local last = tonumber(redis.call('HGET', m, 'o') or '0')
local len, first = redis.call('XLEN', s), firstOffset(s, last)
local out = {}
for _, g in ipairs(groups) do
  local h = {}
  for j = 1, #g, 2 do h[g[j]] = g[j + 1] end
  local opts = redis.call('HGET', root .. 'g:' .. topic, h.name)
  if opts and (only == '' or only == h.name) then
    local pos = offsetOf(h['last-delivered-id'])
    if h.pending > 0 then pos = offsetOf(redis.call('XPENDING', s, h.name)[2]) - 1 end
    local lag = len - math.max(0, math.min(pos, last) - first + 1)
    local present = root .. 'p:' .. topic .. ':' .. h.name
    redis.call('ZREMRANGEBYSCORE', present, '-inf', now)
    local dead = redis.call('HGET', root .. 'x:' .. topic, h.name) or '0'
    out[#out + 1] = {h.name, pos, h.pending, lag, redis.call('ZCARD', present), dead, opts}
  end
end
return out`;

/**
 * Moves a group: acknowledges what it has pending and sets where it reads next. ARGV: root,
 * topic, group, start kind, start value. Returns 0 when there is no such group.
 */
export const SEEK = `${LIB}
local root, topic, group = ARGV[1], ARGV[2], ARGV[3]
local s = root .. 's:' .. topic
if not redis.call('HGET', root .. 'g:' .. topic, group) then return 0 end
trim(root, topic, clock())
for round = 1, 1000 do
  local pend = redis.call('XPENDING', s, group, '-', '+', 1000)
  if #pend == 0 then break end
  local ids = {}
  for _, p in ipairs(pend) do ids[#ids + 1] = p[1] end
  redis.call('XACK', s, group, unpack(ids))
end
redis.call('XGROUP', 'SETID', s, group, before(root, topic, ARGV[4], ARGV[5]) .. '-0')
redis.call('DEL', root .. 'd:' .. topic .. ':' .. group)
return 1`;

/** Removes a group, its options and counts. ARGV: root, topic, group. Returns 1 when it was there. */
export const DROP = `
local root, topic, group = ARGV[1], ARGV[2], ARGV[3]
local gone = redis.pcall('XGROUP', 'DESTROY', root .. 's:' .. topic, group)
if type(gone) ~= 'number' then gone = 0 end
local had = redis.call('HDEL', root .. 'g:' .. topic, group)
redis.call('HDEL', root .. 'x:' .. topic, group)
redis.call('DEL', root .. 'd:' .. topic .. ':' .. group, root .. 'p:' .. topic .. ':' .. group)
return math.max(gone, had)`;
