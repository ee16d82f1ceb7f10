// The Lua functions the Redis events engine's scripts share (redis-scripts.ts has the layout):
// the server's clock, entries by offset and by time (a binary search: times grow with offsets),
// trims by count and age, publish, starts and a topic's info.
import { EVENTS_LIMITS } from './events.ts';

/** Ms a member counts as present after it last looked for events. */
export const PRESENCE = 3000;
/** The idle time a nack gives an entry: past any ackTimeout, so the next claim takes it. */
export const NACKED = EVENTS_LIMITS.ackTimeout.max + 1;

/** The shared functions, put before each script's body. */
export const LIB = `
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function field(e, name)
  local f = e[2]
  for j = 1, #f, 2 do if f[j] == name then return f[j + 1] end end
end
local function offsetOf(id) return tonumber(string.match(id, '^(%d+)')) end
local function entryAt(s, off) return redis.call('XRANGE', s, off .. '-0', '+', 'COUNT', 1)[1] end
-- the first offset in [lo, hi] stored at or after time (times grow with offsets), else hi + 1
local function offsetAtTime(s, time, lo, hi)
  local a, b = lo, hi + 1
  while a < b do
    local mid = math.floor((a + b) / 2)
    local e = entryAt(s, mid)
    if not e or offsetOf(e[1]) > hi or tonumber(field(e, 't')) >= time then b = mid
    else a = offsetOf(e[1]) + 1 end
  end
  return a
end
local function firstOffset(s, last)
  local e = redis.call('XRANGE', s, '-', '+', 'COUNT', 1)[1]
  if e then return offsetOf(e[1]) end
  return last + 1
end
local function retention(m)
  local r = redis.call('HMGET', m, 'a', 'c')
  return tonumber(r[1] or '${EVENTS_LIMITS.retention.maxAge}'), tonumber(r[2] or '${EVENTS_LIMITS.retention.maxCount}')
end
-- drops what retention no longer keeps: past maxCount, then older than maxAge
local function trim(root, topic, now)
  local s, m = root .. 's:' .. topic, root .. 'm:' .. topic
  local age, count = retention(m)
  if redis.call('XLEN', s) > count then redis.call('XTRIM', s, 'MAXLEN', count) end
  local first = redis.call('XRANGE', s, '-', '+', 'COUNT', 1)[1]
  if first and tonumber(field(first, 't')) < now - age then
    local last = tonumber(redis.call('HGET', m, 'o'))
    redis.call('XTRIM', s, 'MINID', offsetAtTime(s, now - age, offsetOf(first[1]), last) .. '-0')
  end
end
-- stores events given as pairs from args[j]: a head and the data JSON. The head is the event's id
-- (36 characters) alone, or, for an event with metadata or a key, followed by the metadata JSON's
-- length in bytes, ':', the metadata JSON and the key. Returns the time they got, then per event
-- its offset (a number), or for a key already stored the \`<offset> <id> <time>\` stored with it.
-- One HMGET and one HSET a batch.
local function publish(root, topic, now, args, j)
  local s, m, kp = root .. 's:' .. topic, root .. 'm:' .. topic, root .. 'k:' .. topic .. ':'
  local h = redis.call('HMGET', m, 'o', 't')
  local off, t = tonumber(h[1] or '0'), math.max(now, tonumber(h[2] or '0'))
  local out = {t}
  while j + 1 <= #args do
    local id, meta, key, data = args[j], '{}', '', args[j + 1]
    if #id > 36 then
      local colon = string.find(id, ':', 37, true)
      local n = tonumber(string.sub(id, 37, colon - 1))
      meta, key = string.sub(id, colon + 1, colon + n), string.sub(id, colon + n + 1)
      id = string.sub(id, 1, 36)
    end
    local seen = key ~= '' and redis.call('GET', kp .. key)
    if seen then out[#out + 1] = seen
    else
      off = off + 1
      if key == '' then
        redis.call('XADD', s, off .. '-0', 'i', id, 't', t, 'm', meta, 'd', data)
      else
        redis.call('XADD', s, off .. '-0', 'i', id, 't', t, 'm', meta, 'd', data, 'k', key)
        redis.call('SET', kp .. key, off .. ' ' .. id .. ' ' .. t, 'PX', ${EVENTS_LIMITS.dedupeWindow})
      end
      out[#out + 1] = off
    end
    j = j + 2
  end
  redis.call('HSET', m, 'o', off, 't', t)
  redis.call('ZADD', root .. 'topics', 0, topic)
  trim(root, topic, now)
  return out
end
-- the offset before the first a start names: l(atest), e(arliest), o(ffset) N, t(ime) ms
local function before(root, topic, kind, value)
  local s, m = root .. 's:' .. topic, root .. 'm:' .. topic
  local last = tonumber(redis.call('HGET', m, 'o') or '0')
  if kind == 'l' then return last end
  if kind == 'e' then return 0 end
  if kind == 'o' then return math.max(tonumber(value) - 1, 0) end
  return offsetAtTime(s, tonumber(value), firstOffset(s, last), last) - 1
end
-- dead-letters entry e of a group (reason: timeout or nack): publish, acknowledge, count, in one step
local function bury(root, topic, group, deadLetter, e, reason, id)
  local s = root .. 's:' .. topic
  local meta = cjson.decode(field(e, 'm'))
  meta['micro-dead-topic'] = topic
  meta['micro-dead-offset'] = tostring(offsetOf(e[1]))
  meta['micro-dead-group'] = group
  meta['micro-dead-reason'] = reason
  local m = cjson.encode(meta)
  publish(root, deadLetter, clock(), {id .. #m .. ':' .. m, field(e, 'd')}, 1)
  redis.call('XACK', s, group, e[1])
  redis.call('HDEL', root .. 'd:' .. topic .. ':' .. group, e[1])
  redis.call('HINCRBY', root .. 'x:' .. topic, group, 1)
end
local function info(root, topic)
  local s, m = root .. 's:' .. topic, root .. 'm:' .. topic
  local last = tonumber(redis.call('HGET', m, 'o') or '0')
  local count = redis.call('XLEN', s)
  local age, max = retention(m)
  local first, time = 0, 0
  if count > 0 then
    first = firstOffset(s, last)
    time = redis.call('HGET', m, 't')
  end
  return {topic, first, last, count, time, age, max}
end
`;
