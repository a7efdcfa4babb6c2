-- Maps a card, field ARGV[1] of bucket KEYS[1], to entry ARGV[2]: a packed
-- index key, a state byte and a version (cardEntry). A card that ended
-- never lives again, so an entry saying it is live does not overwrite one
-- saying it ended: a rebuild, or another mapper, may write what it read
-- of the record before the card ended after the change was mapped.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and string.sub(cur, PACKED_LEN + 1, PACKED_LEN + 1) == CARD_ENDED
	and string.sub(ARGV[2], PACKED_LEN + 1, PACKED_LEN + 1) ~= CARD_ENDED then
	return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
