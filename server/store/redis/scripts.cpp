#include "store/redis/scripts.hpp"

namespace pollchat::redis {

const std::string_view post_script = R"lua(
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[1], epoch)
end
if #KEYS >= 7 then
  local first = redis.call('GET', KEYS[7])
  if first then
    return {'repeat', epoch, first}
  end
end
-- A new room past the shared --max-rooms is refused before anything is changed: a script that
-- returns after its edits keeps them.
local new_room = redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0
if new_room and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  return {'too_many_rooms', epoch}
end
local from = ARGV[6]
local member = ARGV[11]
local instance = ARGV[13]
local item = ARGV[1] .. '\t' .. member
local said_by = nil
if member ~= '' and (ARGV[5] == 'join' or ARGV[5] == 'leave') then
  local raw = redis.call('HGET', KEYS[5], member)
  local entry = raw and cjson.decode(raw)
  if ARGV[5] == 'join' and entry then
    -- Joined through another instance already: this one holds it too, and nothing is said.
    entry.holders = entry.holders or {}
    entry.holders[instance] = 1
    redis.call('HSET', KEYS[5], member, cjson.encode(entry))
    redis.call('SADD', KEYS[6], item)
    return {'held', epoch}
  end
  if ARGV[5] == 'leave' then
    if not entry then
      return {'gone', epoch}
    end
    local holders = entry.holders or {}
    if ARGV[14] == 'all' then
      -- An explicit leave ends the member on every instance that holds it.
      said_by = {}
      for holder, _ in pairs(holders) do
        redis.call('SREM', ARGV[15] .. holder .. ':members', item)
        said_by[#said_by + 1] = holder
      end
    else
      -- This instance lets go; the leave is said only when no other instance holds it.
      holders[instance] = nil
      redis.call('SREM', KEYS[6], item)
      if next(holders) ~= nil then
        entry.holders = holders
        redis.call('HSET', KEYS[5], member, cjson.encode(entry))
        return {'kept', epoch}
      end
    end
    redis.call('HDEL', KEYS[5], member)
    redis.call('SREM', KEYS[6], item)
    if from == '' then
      from = entry.name
    end
  end
end
if new_room then
  redis.call('SADD', KEYS[2], ARGV[1])
end
local id = redis.call('INCR', KEYS[3])
if id <= tonumber(ARGV[10]) then
  epoch = ARGV[2]
  redis.call('SET', KEYS[1], epoch)
end
local fields = {epoch = epoch, id = id, room = ARGV[1], type = ARGV[5], from = from,
                body = ARGV[7], time_ms = ARGV[8]}
if member ~= '' then
  fields.member = member
  fields.via = ARGV[12]
  if said_by and #said_by > 0 then
    fields.holders = said_by
  end
end
local message = cjson.encode(fields)
if ARGV[5] == 'join' and member ~= '' then
  redis.call('HSET', KEYS[5], member,
             cjson.encode({name = from, via = ARGV[12], since_ms = ARGV[8], holders = {[instance] = 1}}))
  redis.call('SADD', KEYS[6], item)
end
redis.call('RPUSH', KEYS[4], message)
redis.call('LTRIM', KEYS[4], -tonumber(ARGV[4]), -1)
if #KEYS >= 7 then
  redis.call('SET', KEYS[7], message, 'EX', 600)
end
redis.call('PUBLISH', ARGV[9], message)
return {'stored', epoch, message}
)lua";

const std::string_view read_script = R"lua(
local epoch = redis.call('GET', KEYS[1]) or ''
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local length = redis.call('LLEN', KEYS[3])
local oldest = 0
if length > 0 then
  oldest = last - length + 1
end
local out = {epoch, last, oldest}
local since = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if length > 0 and since < last then
  local start = math.max(since + 1, oldest) - oldest
  local messages = redis.call('LRANGE', KEYS[3], start, start + limit - 1)
  for _, m in ipairs(messages) do
    out[#out + 1] = m
  end
end
return out
)lua";

}  // namespace pollchat::redis
