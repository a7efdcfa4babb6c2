-- Frees the rebuild lock KEYS[1] if its owner is still ARGV[1], the
-- caller's token. Returns 1 if it did.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
