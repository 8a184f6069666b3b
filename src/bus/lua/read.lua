-- Where a room stands, and a run of its history, read in one step.
--
-- KEYS[1] the room's meta hash (epoch, offset)
-- KEYS[2] the room's history stream (entry ids are OFFSET-1)
-- ARGV[1] the epoch to give a room that has none, or '' to leave it without
-- ARGV[2] milliseconds the room's keys live when the epoch is given here
-- ARGV[3] lowest offset wanted
-- ARGV[4] highest offset wanted, or '+' for the latest
-- ARGV[5] most messages (0: none)
-- ARGV[6] '1' for the newest of the range, else the oldest
-- Returns {epoch or '', latest offset, {payload, ...} oldest first}.
local meta, history = KEYS[1], KEYS[2]

local epoch = redis.call('HGET', meta, 'epoch')
if not epoch and ARGV[1] ~= '' then
  epoch = ARGV[1]
  redis.call('DEL', history)
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', meta, tonumber(ARGV[2]))
end
local top = tonumber(redis.call('HGET', meta, 'offset') or '0')

local payloads = {}
local count = tonumber(ARGV[5])
if epoch and count > 0 then
  local range
  if ARGV[6] == '1' then
    range = redis.call('XREVRANGE', history, ARGV[4], ARGV[3], 'COUNT', count)
    for i = #range, 1, -1 do
      payloads[#payloads + 1] = range[i][2][2]
    end
  else
    range = redis.call('XRANGE', history, ARGV[3], ARGV[4], 'COUNT', count)
    for i = 1, #range do
      payloads[#payloads + 1] = range[i][2][2]
    end
  end
end
return {epoch or '', top, payloads}
