-- Frees field ARGV[1] of bucket KEYS[1] (an identity number's link, or a
-- person's core NID) if it is still ARGV[2], the value the released event
-- gave it when it found it free. Returns 1 if it did.
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
