-- Sets the ready marker KEYS[2] to ARGV[2] if the rebuild lock KEYS[1] is
-- still held by ARGV[1], the caller's token. The two keys share a hash
-- tag. Returns 1 if it did.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
