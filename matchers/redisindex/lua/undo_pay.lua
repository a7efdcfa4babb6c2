-- Undoes the claim on cycle field ARGV[1] (a person's p:<prog>:<cycle>)
-- of bucket KEYS[1] if the payment with event hash ARGV[2] made it.
-- Returns 1 if it did.
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
