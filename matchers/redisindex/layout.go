package redisindex

import (
	"context"
	"encoding/base32"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/matchers/fuzzy"
	"github.com/ekjon/ekjon/matchers/score"
)

// The index's keys are buckets. A Redis key costs about 60–100 bytes before
// it holds anything, more than most of the index's entries themselves, so
// entries are not keys but fields of bucket hashes that Redis keeps as
// compact listpacks:
//
//	p:{b}   persons: for a person with index key k, fields <k>e:<prog>,
//	        <k>h:<prog>, … and <k>c, its candidate record (see below)
//	r:{b}   beneficiary refs: field <ref hash> → the packed index key of the
//	        person holding it, the first to enrol with it (ref.lua)
//	i:{b}   identity links: field <number hash> → the packed index key of
//	        the person an identity number (an NID's core, a smart-card or
//	        birth registration number) names (links.go)
//	k:{b}   aid cards: field <card number hash> → the packed index key
//	        of the card's person, its state and version (cards.go)
//	b:{b}   blocking keys: field <block> → the packedLen-byte index keys of the
//	        persons sharing it, packed
//	tf      hash: strong name token → persons carrying it
//	tf:n    persons counted in tf
//	u:{b}   notes, for a day, of what enrolments' claims replaced: the
//	        exited claim beside the person bucket p:{b}, the free ref
//	        beside the ref bucket r:{b} (see release.go)
//	{meta}:ready:…, {meta}:rebuild-lock
//	        the ready marker and the rebuild lock (see meta.go, lock.go)
//
// b is the top BucketBits bits of the entry's keyed hash; the field is the
// hash in binary, less the whole bytes that b holds. Every command and script
// touches one key, and the hash tag puts each bucket in one Redis Cluster
// slot. A dump reveals no NID, name, phone or wallet.
//
// The buckets stay listpacks only while Redis allows it: a deployment sets
// hash-max-listpack-entries and hash-max-listpack-value to 1024 (see
// deploy/redis.conf), and sizes BucketBits so that a bucket holds some
// hundreds of fields: about log2(persons/16). Without the settings the
// index works the same and uses about three times the memory.

// DefaultBucketBits suits an index of one to ten million persons.
const DefaultBucketBits = 16

// layoutVersion names the key layout. It is part of the readiness marker:
// an index written in another layout, or with other BucketBits, is not
// ready, and the first worker to find it so rebuilds it from the record.
const layoutVersion = "8"

// The key families: bucket hashes of persons, beneficiary refs and
// blocking keys.
const (
	familyPerson = "p"
	familyRef    = "r"
	familyBlock  = "b"
)

// A person's fields in its bucket, each after the person's prefix. Go and
// the scripts (lua/*.lua) name them through these constants only: the
// scripts get them from the prelude that luaNames generates. Per
// programme p the person has:
//
//	e:p   the claiming enrolment, present while enrolled: its event hash
//	      (eventHashLen bytes) followed by the enrolled wallet's keyed
//	      hash, if any
//	h:p   present while that enrolment is held for review
//	x:p   the e:p of the enrolment that exited p (kept so reinstatement
//	      can restore it)
//	s:p   present while that enrolment is suspended
//	p:p:c the payment admitted or held for cycle c (its event hash)
//	t:p   the time of the latest status event naming p, in Unix
//	      microseconds (t: alone, the latest naming no programme)
//
// and for the person: dead (the death event's hash), td (the time of the
// latest status event that marked the person dead or alive again, in Unix
// microseconds), n (the packed hash of the NID core the person is known
// by, see links.go), wc (unix time of the last wallet change), c (the candidate record, written by an enrolment
// that is not blocked, after the event hash of the enrolment that first
// wrote one: the one whose decision counts the person in the name-token
// frequencies).
//
// So a claim on p is in one of the states of domain.Transitions: active
// (e:p alone), held (e:p and h:p), suspended (e:p and s:p) or exited
// (x:p). The status script moves claims between them, the rebuild writes
// them from the record's enrolment states.
// A status event older than t:p or t: acts on no claim on p, and one older
// than td does not mark the person dead or alive (see status.lua): status
// events take effect in the order they occurred, whatever order they
// arrive in.
const (
	fieldEnrol     = "e:"
	fieldHeld      = "h:"
	fieldExited    = "x:"
	fieldSuspended = "s:"
	fieldPaid      = "p:"
	fieldStatusAt  = "t:"
	cycleSep       = ":"
	fieldDead      = "dead"
	fieldWalletAt  = "wc"
	fieldLifeAt    = "td"
	fieldRecord    = "c"
	// flagSet is the value of a field that only needs to be present.
	flagSet = "1"
)

// keyDigits is the length of an index key: base32 digits of the person's
// keyed hash.
const keyDigits = 16

// packedLen is the length of a packed index key: its keyDigits base32
// digits, decoded.
const packedLen = keyDigits * 5 / 8

// eventHashLen is the length of an event hash in a claim (see eventHash):
// 128 bits, binary.
const eventHashLen = 16

// luaName is one constant of the scripts' prelude: its Lua name and the Go
// constant it stands for, a string or an int.
type luaName struct {
	name  string
	value any
}

// luaNames is the one table of the layout's names and lengths, and the
// domain's state names, that the scripts share with Go.
func luaNames() []luaName {
	return []luaName{
		{"F_ENROL", fieldEnrol},
		{"F_HELD", fieldHeld},
		{"F_EXITED", fieldExited},
		{"F_SUSPENDED", fieldSuspended},
		{"F_PAID", fieldPaid},
		{"F_STATUS_AT", fieldStatusAt},
		{"CYCLE_SEP", cycleSep},
		{"F_DEAD", fieldDead},
		{"F_WALLET_AT", fieldWalletAt},
		{"F_LIFE_AT", fieldLifeAt},
		{"F_RECORD", fieldRecord},
		{"FLAG_SET", flagSet},
		{"EVENT_HASH_LEN", eventHashLen},
		{"PACKED_LEN", packedLen},
		{"CARD_ENDED", string(rune(cardEnded))},
		{"S_ACTIVE", domain.EnrolmentActive},
		{"S_HELD", domain.EnrolmentHeld},
		{"S_SUSPENDED", domain.EnrolmentSuspended},
		{"S_EXITED", domain.EnrolmentExited},
		{"DECEASED", domain.StatusDeceased},
	}
}

// b32 is the encoding of domain.Pseudonymizer's hashes.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// bucket returns the bucket key of family f (familyPerson, …) holding the
// entry whose keyed hash (base32, at least 8 digits) is h, and the entry's
// field: the hash in binary, less the whole bytes the bucket number holds.
func (ix *Index) bucket(f, h string) (key, field string) {
	m := len(h) / 8 * 8
	b, err := b32.DecodeString(h[:m])
	if err != nil || m == 0 {
		// Keys are the pseudonymizer's hashes; anything else is a bug,
		// and goes to a bucket of its own rather than a wrong one.
		return ix.cfg.Prefix + f + ":{bad}", h
	}
	n := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	top := ix.cfg.BucketBits
	return ix.cfg.Prefix + f + ":{" + strconv.FormatUint(n>>(40-top), 16) + "}", string(b[top/8:]) + h[m:]
}

// blockBucket returns the bucket and field of a blocking key. Only the
// key's first 40 bits name it: two blocks that agree on them (a handful in
// an index of millions) share their members, which widens their candidates
// a little and decides nothing, since every candidate is scored.
func (ix *Index) blockBucket(b fuzzy.Block) (key, field string) {
	return ix.bucket(familyBlock, b.Key[:8])
}

// personBucket returns the key of the bucket holding the person with index
// key k, and the prefix of the person's fields in it.
func (ix *Index) personBucket(k string) (key, pre string) { return ix.bucket(familyPerson, k) }

// packedKey is an index key as the packedLen bytes a block holds, or ""
// if it is not an index key.
func packedKey(k string) string {
	b, err := b32.DecodeString(k)
	if err != nil || len(k) != keyDigits || len(b) != packedLen {
		return ""
	}
	return string(b)
}

// unpackKey is the index key of a packed key.
func unpackKey(p string) string { return b32.EncodeToString([]byte(p)) }

// keyOfPerson returns the index key of a person id ("P" and the keyDigits
// digits of the key).
func keyOfPerson(pid string) (string, bool) {
	k, ok := strings.CutPrefix(pid, "P")
	return k, ok && packedKey(k) != ""
}

// PersonFields returns the fields the index holds for the person with index
// key k, named as above (e:old_age, dead, …), the candidate record under
// c. It is for inspection and tests; deciding never reads a whole
// person.
func (ix *Index) PersonFields(ctx context.Context, k string) (map[string]string, error) {
	key, pre := ix.personBucket(k)
	all, err := ix.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, classify("redis: person fields", err)
	}
	out := map[string]string{}
	for f, v := range all {
		if name, ok := strings.CutPrefix(f, pre); ok {
			out[name] = v
		}
	}
	return out, nil
}

// MarkHeld records that the person's enrolment in programme is held for
// review, so that payments are blocked until a reviewer releases it.
func (ix *Index) MarkHeld(ctx context.Context, k, programme string) error {
	key, pre := ix.personBucket(k)
	return classify("redis: mark held", ix.rdb.HSet(ctx, key, pre+fieldHeld+programme, flagSet).Err())
}

// storedRecord is the candidate record of profile p, of the person with
// index key k, as the person's bucket keeps it after the event hash that
// the enrol script puts before it: without the person id when the key
// gives it. It is "" when the record cannot be encoded; such a person is
// not indexed as a candidate.
func storedRecord(p *fuzzy.Profile, k string) string {
	r := p.Record
	if r.PersonID == "P"+k {
		r.PersonID = ""
	}
	b, err := r.AppendBinary(nil)
	if err != nil {
		return ""
	}
	return string(b)
}

// loadRecord decodes a record stored for the person with index key k,
// after the event hash of the enrolment that first stored one.
func loadRecord(b []byte, k string) (score.Record, error) {
	if len(b) < eventHashLen {
		return score.Record{}, fmt.Errorf("stored record of %d bytes: %w", len(b), score.ErrCorrupt)
	}
	r, err := score.DecodeRecord(b[eventHashLen:])
	if err == nil && r.PersonID == "" {
		r.PersonID = "P" + k
	}
	return r, err
}

// BucketBitsFor returns the BucketBits that suit an index of about persons
// persons: some 64 persons to a bucket, which keeps each bucket a listpack
// of a few hundred fields.
func BucketBitsFor(persons int) int {
	return min(max(bits.Len(uint(persons/64)), 8), 24)
}

// ListpackSettings returns the Redis settings, and their least values,
// under which the index's buckets stay compact (as in deploy/redis.conf).
func ListpackSettings() map[string]int {
	return map[string]int{"hash-max-listpack-entries": 1024, "hash-max-listpack-value": 1024}
}

// CheckConfig reports the Redis settings below what the index's buckets
// need to stay compact, as "name is X, want Y" lines; nil when all are
// met or Redis does not say (CONFIG may be disabled by a managed service).
func (ix *Index) CheckConfig(ctx context.Context) []string {
	var low []string
	for name, want := range ListpackSettings() {
		v, err := ix.rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			return nil
		}
		if n, err := strconv.Atoi(v[name]); err == nil && n < want {
			low = append(low, name+" is "+v[name]+", want "+strconv.Itoa(want))
		}
	}
	sort.Strings(low)
	return low
}
