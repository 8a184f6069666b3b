-- Who is in a room, across nodes. Each member has an entry (client → its JSON);
-- each node with members there refreshes its own expiry. Whatever a node does here,
-- the members of nodes that stopped refreshing are removed first and announced
-- gone, in this same step: whichever node notices first announces, and only once.
--
-- KEYS[1] the room's presence hash (client id → {"client","sender","node"})
-- KEYS[2] the room's nodes (sorted set: node → expiry in ms)
-- ARGV[1] join | leave | beat | sync | list
-- ARGV[2] milliseconds a node's entries live without a refresh
-- ARGV[3] this node
-- ARGV[4] the channel room events go to, ARGV[5] PUBLISH or SPUBLISH
-- ARGV[6] the start of a leave event of this room, up to its "client" member
-- join:  ARGV[7] client, ARGV[8] its entry, ARGV[9] the join event
-- leave: ARGV[7] client, ARGV[8] the leave event
-- sync:  ARGV[7..] client, entry, client, entry, ...: all of this node's members here.
--        They are written again, and a join event goes out for each one Redis did not
--        have (it joined while Redis could not be told, it was announced gone while
--        this node could not refresh it, or Redis lost it): a node that knows it still
--        drops the event, one that heard it leave learns it is back. This node's
--        other entries go, with a leave event each.
local presence, nodes = KEYS[1], KEYS[2]
local op, ttl, node = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local channel, publish, leave_prefix = ARGV[4], ARGV[5], ARGV[6]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local dead = redis.call('ZRANGEBYSCORE', nodes, '-inf', now)
if #dead > 0 then
  local gone = {}
  for _, d in ipairs(dead) do gone[d] = true end
  local entries = redis.call('HGETALL', presence)
  for i = 1, #entries, 2 do
    local ok, entry = pcall(cjson.decode, entries[i + 1])
    if ok and type(entry) == 'table' and gone[entry.node] then
      redis.call('HDEL', presence, entries[i])
      redis.call(publish, channel, leave_prefix .. string.sub(entries[i + 1], 2))
    end
  end
  redis.call('ZREM', nodes, unpack(dead))
end

-- 1 when the node had no entry (Redis lost it): its members need writing again
local function alive()
  local fresh = redis.call('ZADD', nodes, now + ttl, node)
  redis.call('PEXPIRE', nodes, ttl * 2)
  redis.call('PEXPIRE', presence, ttl * 2)
  return fresh
end

-- join answers like beat: 1 when the node's other members here need writing again
if op == 'join' then
  local fresh = alive()
  redis.call('HSET', presence, ARGV[7], ARGV[8])
  redis.call(publish, channel, ARGV[9])
  return fresh
elseif op == 'leave' then
  if redis.call('HDEL', presence, ARGV[7]) == 1 then
    redis.call(publish, channel, ARGV[8])
    return 1
  end
  return 0
elseif op == 'beat' then
  return alive()
elseif op == 'sync' then
  alive()
  local here = {}
  local join_prefix = string.gsub(leave_prefix, '"event":"leave"', '"event":"join"', 1)
  for i = 7, #ARGV - 1, 2 do
    here[ARGV[i]] = true
    if redis.call('HSET', presence, ARGV[i], ARGV[i + 1]) == 1 then
      redis.call(publish, channel, join_prefix .. string.sub(ARGV[i + 1], 2))
    end
  end
  -- who left this node while Redis could not be told goes now, and is announced
  local entries = redis.call('HGETALL', presence)
  for i = 1, #entries, 2 do
    if not here[entries[i]] then
      local ok, entry = pcall(cjson.decode, entries[i + 1])
      if ok and type(entry) == 'table' and entry.node == node then
        redis.call('HDEL', presence, entries[i])
        redis.call(publish, channel, leave_prefix .. string.sub(entries[i + 1], 2))
      end
    end
  end
  return 1
elseif op == 'list' then
  return redis.call('HVALS', presence)
end
return redis.error_reply('unknown presence operation')
