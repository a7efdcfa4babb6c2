package redisindex

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
)

// One person, however a clerk wrote their number. An event names its
// person by up to three identity numbers (domain.Event.Identifiers): the
// core of the NID (the 13 digits, whether written with the birth year or
// without), the 10-digit smart-card number, the birth registration
// number. The link map ties each number seen to the index key of its
// person:
//
//	i:{b}   identity links: field <number hash> → the packed index key of
//	        the person, the first to be enrolled (or named by a status
//	        event) with the number
//
// and the person's bucket keeps, under <k>n, the packed hash of the one
// NID core the person is known by. A number unlinked names the person it
// would give a key of its own: its hash (so that persons indexed before
// the map existed are found the same way until the rebuild links them).
//
// An event's person is the one linked to its strongest number; failing
// that, the one linked to a weaker number, unless that person already has
// another NID core; failing that, its strongest number's own. An
// enrolment or status event then links all its numbers to the person;
// one linked to another person, or an NID core beside a number whose
// person has another, is an ID_CONFLICT: the enrolment is held, the links
// stay, and a reviewer is told. Claiming a link and checking it are one
// step, so of two events naming one number at the same moment exactly one
// links it; the other, if it lost its strongest number, takes the
// winner's person as its own.
const (
	familyLink = "i"
	fieldCore  = "n"
)

// linking is what deciding learns of an event's identity numbers.
type linking struct {
	ids   []string // the numbers' keyed hashes (index keys), strongest first
	core  bool     // ids[0] is the NID's core
	found []string // the packed key each was linked to when resolved, or ""
	// conflict is the packed key of another person holding one of the
	// numbers, or having another NID core.
	conflict string
}

// linkingOf returns the event's identity numbers, or nil if it names none.
func (ix *Index) linkingOf(e *domain.Event) *linking {
	ids := e.Identifiers()
	if len(ids) == 0 {
		return nil
	}
	l := &linking{ids: make([]string, len(ids)), found: make([]string, len(ids))}
	for i, id := range ids {
		l.ids[i], _ = ix.identity(id.Kind, id.Value)
	}
	l.core = ids[0].Kind == "nid" && !domain.IsSmartNID(ids[0].Value)
	return l
}

// linkField returns the bucket and field of a number's link.
func (ix *Index) linkField(hash string) (key, field string) { return ix.bucket(familyLink, hash) }

// chooseKeys gives each event with identity numbers its person, from the
// links read (l.found): the holder of its strongest linked number, when
// that is safe (see the package comment above). Events whose strongest
// number is an unlinked NID core beside a linked weaker number need the
// weaker number's person's core, read in one more round trip.
func (ix *Index) chooseKeys(ctx context.Context, outs []*domain.Outcome, ls []*linking) error {
	var cores []*redis.StringCmd
	var at []int
	var pipe redis.Pipeliner
	for i, l := range ls {
		if l == nil {
			continue
		}
		key := l.ids[0]
		if l.found[0] != "" {
			key = unpackKey(l.found[0])
		} else if w := l.weaker(); w != "" {
			key = unpackKey(w)
			if l.core {
				if pipe == nil {
					pipe = ix.rdb.Pipeline()
				}
				bk, pre := ix.personBucket(key)
				cores = append(cores, pipe.HGet(ctx, bk, pre+fieldCore))
				at = append(at, i)
			}
		}
		outs[i].IndexKey, outs[i].Decision.PersonID = key, "P"+key
	}
	if pipe == nil {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for j, c := range cores {
		l, o := ls[at[j]], outs[at[j]]
		if v := c.Val(); v != "" && v != packedKey(l.ids[0]) {
			// The weaker number's person has another NID: this NID is a
			// person of its own, and the claims find the conflict.
			o.IndexKey, o.Decision.PersonID = l.ids[0], "P"+l.ids[0]
		}
	}
	return nil
}

// weaker returns the packed key linked to the strongest linked number
// after the first, or "".
func (l *linking) weaker() string {
	for _, f := range l.found[1:] {
		if f != "" {
			return f
		}
	}
	return ""
}

// claimLinks links the numbers of every enrolment and status event to the
// event's person, and the NID core to the person, in one round trip (two
// when an event lost a race for its strongest number and moves to the
// winner's person). It sets each outcome's Links, and the conflict of
// each event whose numbers belong to another person.
func (ix *Index) claimLinks(ctx context.Context, outs []*domain.Outcome, ls []*linking) error {
	type claimed struct {
		i     int
		links []*redis.Cmd
		core  *redis.Cmd
	}
	var cs []claimed
	err := ix.withScripts(ctx, func() error {
		cs = cs[:0]
		pipe := ix.rdb.Pipeline()
		for i, o := range outs {
			l := ls[i]
			if l == nil || o.IndexKey == "" || (o.Event.Type != domain.TypeEnrolment && o.Event.Type != domain.TypeStatus) {
				continue
			}
			c := claimed{i: i}
			own := packedKey(o.IndexKey)
			for _, h := range l.ids {
				k, f := ix.linkField(h)
				c.links = append(c.links, linkScript.EvalSha(ctx, pipe, []string{k}, f, own))
			}
			if l.core {
				k, pre := ix.personBucket(o.IndexKey)
				c.core = linkScript.EvalSha(ctx, pipe, []string{k}, pre+fieldCore, packedKey(l.ids[0]))
			}
			cs = append(cs, c)
		}
		if len(cs) == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	type move struct {
		i, id    int
		from, to string
		cmd      *redis.Cmd
	}
	var moves []move
	for _, c := range cs {
		o, l := outs[c.i], ls[c.i]
		own := packedKey(o.IndexKey)
		holders := make([]string, len(c.links))
		made := make([]bool, len(c.links))
		for j, cmd := range c.links {
			h, err := cmd.Text()
			if err != nil {
				return err
			}
			switch h {
			case "":
				holders[j], made[j] = own, true
			case "=":
				holders[j] = own
			default:
				holders[j] = h
			}
		}
		final := holders[0]
		if final != own {
			// Another event linked the strongest number first, in a race:
			// its person is this event's.
			k := unpackKey(final)
			o.IndexKey, o.Decision.PersonID = k, "P"+k
		} else if c.core != nil {
			h, err := c.core.Text()
			switch {
			case err != nil:
				return err
			case h == "=":
				// Release must not take away a core the person had.
				made[0] = false
			case h != "":
				l.conflict = own // the person took another NID core meanwhile
			}
		}
		for j, h := range holders {
			switch {
			case h == final:
				o.Links = append(o.Links, domain.Link{Hash: l.ids[j], Core: l.core && j == 0, New: made[j]})
			case h == own && made[j]:
				moves = append(moves, move{i: c.i, id: j, from: own, to: final})
			default:
				if l.conflict == "" {
					l.conflict = h
				}
			}
		}
	}
	if len(moves) == 0 {
		return nil
	}
	err = ix.withScripts(ctx, func() error {
		pipe := ix.rdb.Pipeline()
		for j := range moves {
			m := &moves[j]
			k, f := ix.linkField(ls[m.i].ids[m.id])
			m.cmd = linkScript.EvalSha(ctx, pipe, []string{k}, f, m.to, m.from)
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, m := range moves {
		h, err := m.cmd.Text()
		if err != nil {
			return err
		}
		o, l := outs[m.i], ls[m.i]
		if h == "" {
			// A moved link is the winner's person's, not its core: the
			// core is the strongest number, which the winner linked.
			o.Links = append(o.Links, domain.Link{Hash: l.ids[m.id], New: true})
		} else if l.conflict == "" {
			l.conflict = h
		}
	}
	return nil
}

// idConflict holds an enrolment whose numbers belong to another person
// (holder, packed), and raises ID_CONFLICT naming them; a status event is
// applied all the same, with the alert.
func (ix *Index) idConflict(o *domain.Outcome, holder string) {
	d := &o.Decision
	if d.Action == domain.ActionAdmit && o.Event.Type == domain.TypeEnrolment {
		d.Action = domain.ActionHold
	}
	d.Rules = append(d.Rules, domain.RuleIDConflict)
	other := "P" + unpackKey(holder)
	reason := "an identity number of this person belongs to another person (" + other + "), or this person has another NID; the numbers stay linked as they were"
	if other == d.PersonID {
		reason = "this person is known by another NID; the numbers stay linked as they were"
	}
	if d.Reason != "" {
		reason = d.Reason + "; " + reason
	}
	d.Reason = reason
	a := ix.alert(o, domain.RuleIDConflict, d.DecidedAt)
	a.MatchedPerson = other
	o.Alerts = append(o.Alerts, a)
}

// loadLink writes a link the record holds (kind "link") or derives from
// an enrolled person's numbers (kind "identity", which yields to links
// the record holds). See IndexFacts.
func (ix *Index) loadLink(ctx context.Context, pipe redis.Pipeliner, key, hash string, core, yield bool) {
	lk, lf := ix.linkField(hash)
	pk, pre := ix.personBucket(key)
	if yield {
		pipe.HSetNX(ctx, lk, lf, packedKey(key))
		if core {
			pipe.HSetNX(ctx, pk, pre+fieldCore, packedKey(hash))
		}
		return
	}
	pipe.HSet(ctx, lk, lf, packedKey(key))
	if core {
		pipe.HSet(ctx, pk, pre+fieldCore, packedKey(hash))
	}
}

// loadIdentities links the numbers of a person as enrolled, for records
// made before the links were kept: each number not yet linked to someone
// else becomes the person's.
func (ix *Index) loadIdentities(ctx context.Context, pipe redis.Pipeliner, key string, p *domain.Person) {
	l := ix.linkingOf(&domain.Event{Type: domain.TypeEnrolment, Person: p})
	if l == nil {
		return
	}
	for j, h := range l.ids {
		ix.loadLink(ctx, pipe, key, h, l.core && j == 0, true)
	}
}

var undoLinkScript = newScript("undo_link.lua")

// freeLinks undoes the links an enrolment or status event made (Link.New),
// where they are still its person's: the number is free again, and a
// person given its core by the event has none.
func (ix *Index) freeLinks(ctx context.Context, o *domain.Outcome) error {
	own := packedKey(o.IndexKey)
	for _, l := range o.Links {
		if !l.New {
			continue
		}
		k, f := ix.linkField(l.Hash)
		if err := undoLinkScript.Run(ctx, ix.rdb, []string{k}, f, own).Err(); err != nil {
			return classify("redis: release link", err)
		}
		if l.Core {
			pk, pre := ix.personBucket(o.IndexKey)
			if err := undoLinkScript.Run(ctx, ix.rdb, []string{pk}, pre+fieldCore, packedKey(l.Hash)).Err(); err != nil {
				return classify("redis: release link", err)
			}
		}
	}
	return nil
}
