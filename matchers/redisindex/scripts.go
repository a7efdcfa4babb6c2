package redisindex

import (
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The exact rules run as Lua scripts so that each check and its claim are
// one atomic step: two workers that see one NID at the same moment cannot
// both pass the check. Every script touches a single key, the bucket of the
// person's fields, so the scripts run unchanged on Redis Cluster.
//
// A person's fields live in a bucket hash shared with other persons (see
// layout.go); each field starts with the person's prefix, ARGV[1] of every
// script. The scripts live in lua/, and name fields and lengths only
// through the constants of a prelude generated from layout.go. A script
// that decides returns {action, rule, detail, alert}.

//go:embed lua/*.lua
var luaFiles embed.FS

var (
	enrolScript  = newScript("enrol.lua")
	payScript    = newScript("pay.lua")
	statusScript = newScript("status.lua")
	// blockScript adds a person (ARGV[1], a packed index key of packedLen
	// bytes) to blocking keys: field ARGV[2+i] of the bucket KEYS[i]. For
	// each it returns how many other persons share the block and, unless
	// the block is generic, their packed keys, as a flat list. A block
	// that already holds ARGV[2] (the block cap) others is generic: it
	// takes no more members, and its members are not returned, since a
	// value so common is no evidence. Adding and reading are one step, so
	// of two workers indexing one person's two enrolments at the same
	// moment, the second finds the first. Adding again is harmless. On a
	// cluster each call names one bucket; on a single server one call
	// takes all of a person's blocks.
	blockScript = newScript("block.lua")
	// releaseScript lifts the hold on a held enrolment, but only while the
	// programme's claim is still that enrolment's: an enrolment that has
	// since exited or been replaced must not be revived by a late release.
	releaseScript = newScript("release.lua")
	// claimScript makes an enrolment the programme's claim, for a
	// supervisor's override of a DUP_NID or MULTI_PROGRAMME block: it is
	// enrolled and not held, and its wallet is the one payments are
	// compared with.
	claimScript = newScript("claim.lua")
	// refScript claims a programme's beneficiary ref for a person in its
	// bucket of the ref map: the first person to claim it holds it, and
	// every other is told who does. Check and claim are one step, so of two
	// persons enrolling with one ref at the same moment exactly one gets it.
	refScript = newScript("ref.lua")
	// linkScript claims an identity number's link to its person in the
	// link map, or the core NID a person is known by in its bucket (see
	// links.go): the first claim holds, and every other is told who
	// does.
	linkScript = newScript("link.lua")
	// holdScript holds an enrolment the fuzzy rules held, after the claims
	// of its batch, as if it had been held when claimed.
	holdScript = newScript("hold.lua")
	// cardScript maps a card, and never brings an ended card back.
	cardScript = newScript("card.lua")
)

// allScripts are the scripts LoadScripts loads.
func allScripts() []*redis.Script {
	return []*redis.Script{enrolScript, payScript, statusScript, blockScript, releaseScript, claimScript, refScript, linkScript, holdScript, noteScript, noteRefScript, cardScript}
}

// newScript returns the script of lua/name after the prelude. A missing
// file is a build mistake, which every test of the package reports.
func newScript(name string) *redis.Script {
	body, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic("redisindex: " + err.Error())
	}
	return redis.NewScript(prelude() + string(body))
}

// prelude declares luaNames as Lua locals, on one line, so that line n of
// a script file is line n+1 of the script Redis reports errors in.
func prelude() string {
	var names, values []string
	for _, c := range luaNames() {
		names = append(names, c.name)
		switch v := c.value.(type) {
		case string:
			values = append(values, luaQuote(v))
		case int:
			values = append(values, strconv.Itoa(v))
		default:
			panic(fmt.Sprintf("redisindex: Lua constant %s is a %T", c.name, v))
		}
	}
	return "local " + strings.Join(names, ", ") + " = " + strings.Join(values, ", ") + "\n"
}

// luaQuote quotes s as a Lua 5.1 string literal, which knows no \x
// escapes: other than printable ASCII, bytes are written \ddd.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c <= '~' && c != '\'' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
