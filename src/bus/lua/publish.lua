-- Appends a message to its room's history, gives it the room's next offset and
-- publishes it, all in one step: no other order than offset order can reach
-- anyone, and an ingress entry published twice counts once.
--
-- KEYS[1] the room's meta hash (epoch, offset)
-- KEYS[2] the room's history stream (entry ids are OFFSET-1), when ARGV[3] > 0
-- KEYS[2] or KEYS[3] (the next one) the ingress entry ids already published into
--         the room (sorted set), when ARGV[7] is not ''
-- Only the keys the call uses are named: while the room's slot migrates, a Redis
-- Cluster refuses (TRYAGAIN) a call naming a key that does not exist next to
-- one that does, and a room without ingress entries has no such set.
-- ARGV[1] channel to publish on
-- ARGV[2] the payload without its closing brace
-- ARGV[3] messages kept (0: none)
-- ARGV[4] milliseconds the room's keys live after this message
-- ARGV[5] the epoch for a room that has none
-- ARGV[6] PUBLISH or SPUBLISH
-- ARGV[7] the ingress stream entry id, or ''
-- ARGV[8] the message id when this is a second try of a publish whose answer was lost
--         (the connection dropped, or Redis stalled past the timeout): a message of the
--         history with that id means the first try went through. Else ''.
-- Returns {epoch, offset, 1 when the entry was published before (nothing done) or 0}.
local size = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local entry = ARGV[7]
local retry = ARGV[8]
local meta, history, seen = KEYS[1], nil, nil
local next_key = 2
if size > 0 then
  history = KEYS[next_key]
  next_key = next_key + 1
end
if entry ~= '' then
  seen = KEYS[next_key]
end

if history and retry ~= nil and retry ~= '' then
  local needle = '"id":"' .. retry .. '"'
  local kept = redis.call('XREVRANGE', history, '+', '-', 'COUNT', size)
  for _, e in ipairs(kept) do
    local fields = e[2]
    if fields[2] and string.find(fields[2], needle, 1, true) then
      local offset = tonumber(string.match(e[1], '^(%d+)'))
      return {redis.call('HGET', meta, 'epoch') or '', offset, 1}
    end
  end
end

if entry ~= '' then
  local done = redis.call('ZSCORE', seen, entry)
  if done then
    return {redis.call('HGET', meta, 'epoch') or '', tonumber(done), 1}
  end
end

local epoch = redis.call('HGET', meta, 'epoch')
if not epoch then
  -- offsets restart: whatever history is left belongs to a lost epoch
  epoch = ARGV[5]
  if history then
    redis.call('DEL', history)
  end
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
end
local offset = redis.call('HINCRBY', meta, 'offset', 1)
redis.call('PEXPIRE', meta, ttl)

local payload = ARGV[2] .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}'
if history then
  redis.call('XADD', history, 'MAXLEN', size, offset .. '-1', 'm', payload)
  redis.call('PEXPIRE', history, ttl)
end
if entry ~= '' then
  redis.call('ZADD', seen, offset, entry)
  redis.call('ZREMRANGEBYRANK', seen, 0, -1025)
  redis.call('PEXPIRE', seen, ttl)
end
redis.call(ARGV[6], ARGV[1], payload)
return {epoch, offset, 0}
