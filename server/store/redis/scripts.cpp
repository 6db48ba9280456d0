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
local from = ARGV[6]
local member = ARGV[11]
if ARGV[5] == 'leave' and member ~= '' then
  local entry = redis.call('HGET', KEYS[5], member)
  if not entry then
    return {'gone', epoch}
  end
  redis.call('HDEL', KEYS[5], member)
  redis.call('SREM', KEYS[6], ARGV[1] .. '\t' .. member)
  if from == '' then
    from = cjson.decode(entry).name
  end
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then
    return {'too_many_rooms', epoch}
  end
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
end
local message = cjson.encode(fields)
if ARGV[5] == 'join' and member ~= '' then
  redis.call('HSET', KEYS[5], member, cjson.encode({name = from, via = ARGV[12], since_ms = ARGV[8]}))
  redis.call('SADD', KEYS[6], ARGV[1] .. '\t' .. member)
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
