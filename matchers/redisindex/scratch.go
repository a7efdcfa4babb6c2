package redisindex

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/internal/par"
)

// A Scratch is the index copied into this process's memory, for loading a
// registry of millions of records: an Index on it runs the same code as
// on Redis (the same reads, the same claims, the same fuzzy rules), but
// each command and script runs here, against Go maps, with no round trip
// and no Lua interpreter. Its scripts are Go functions that do what the
// scripts of lua/ do, step for step, so that a batch decided against a
// Scratch leaves it as the same batch would leave Redis and is decided
// alike. Flush then writes what changed to Redis in pipelines of plain
// commands (HSET, SET, HDEL), and marks the index ready.
//
// While a Scratch is in use, Redis is not the index: Take marks it not
// ready, and holds the rebuild lock until Flush or Close, so that a stream
// worker running meanwhile waits for the index rather than rebuild it from
// a record the load is still writing (which Flush would then overwrite);
// a run killed before its Flush leaves the lock to lapse, and the index
// not ready, to be rebuilt from the record.
//
// A Scratch holds only what deciding enrolments needs: hash and string
// keys. A command or script it does not know fails, with a
// KindInternal error, rather than deciding differently from Redis.
type Scratch struct {
	ix *Index // the index on Redis

	mu      sync.Mutex
	hashes  *hashStore
	strs    map[string]string
	dirty   map[string]bool            // keys deleted or strings set since the copy (see hashStore.written)
	deleted map[string]map[string]bool // hash fields deleted since the copy
	ttl     map[string]int64           // PEXPIRE of keys written, in ms
	scripts map[string]func(s *Scratch, keys, args []string) (any, error)
	runID   string

	// lease is the rebuild lock Take took, kept until Flush or Close;
	// lost is closed if another took it over meanwhile.
	lease    *lease
	stopKeep context.CancelFunc
	kept     chan struct{}
	lost     chan struct{}
}

// scratchLease is the term of the rebuild lock a Scratch holds, renewed
// every third of it while the Scratch lives: short, so that a load killed
// mid-way lets the next run, or a stream worker, rebuild the index within
// seconds rather than the minutes a rebuild's lease lasts (a rebuild
// renews its own as it goes, between writes that may take long).
const scratchLease = 20 * time.Second

// scratchServer is the run id a Scratch gives itself, which its ready
// marker names.
const scratchServer = "scratch"

// Take copies the index's keys from Redis into a Scratch, marks the index
// on Redis not ready, and returns an Index deciding against the copy.
// Nothing else may write the index until Flush: run it while no worker
// decides. The Index it returns registers no metrics and shares ix's
// configuration otherwise.
func (ix *Index) Take(ctx context.Context) (*Index, *Scratch, error) {
	m, ok, err := ix.readMarker(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, ErrNotReady
	}
	l, err := ix.acquireFor(ctx, scratchLease)
	if err != nil {
		return nil, nil, err
	}
	if l == nil {
		return nil, nil, ErrRebuilding
	}
	s := &Scratch{ix: ix, hashes: newHashStore(), strs: map[string]string{},
		dirty: map[string]bool{}, deleted: map[string]map[string]bool{}, ttl: map[string]int64{}, runID: scratchServer,
		lease: l, kept: make(chan struct{}), lost: make(chan struct{})}
	keepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopKeep = stop
	go func() {
		defer close(s.kept)
		l.keep(keepCtx, func() { close(s.lost) })
	}()
	taken := false
	defer func() {
		if !taken {
			s.Close()
		}
	}()
	s.scripts = map[string]func(s *Scratch, keys, args []string) (any, error){
		enrolScript.Hash():     (*Scratch).enrol,
		blockScript.Hash():     (*Scratch).block,
		refScript.Hash():       (*Scratch).ref,
		linkScript.Hash():      (*Scratch).link,
		holdScript.Hash():      (*Scratch).hold,
		claimScript.Hash():     (*Scratch).claim,
		noteScript.Hash():      (*Scratch).note,
		noteRefScript.Hash():   (*Scratch).noteRef,
		undoEnrolScript.Hash(): (*Scratch).undoEnrol,
		undoRefScript.Hash():   (*Scratch).undoRef,
		undoLinkScript.Hash():  (*Scratch).undoLink,
	}
	if err := s.copyFrom(ctx); err != nil {
		return nil, nil, classify("redis: copy the index", err)
	}
	// The copy answers to the generation Redis's index did, under a
	// marker naming the copy as its server.
	m.servers, m.at = []string{s.runID}, time.Now()
	s.strs[ix.ReadyKey()] = m.String()
	delete(s.dirty, ix.ReadyKey())
	s.hashes.written()
	if err := ix.Invalidate(ctx); err != nil {
		return nil, nil, err
	}
	rdb := redis.NewClient(&redis.Options{
		Addr: "scratch:0", MaxRetries: -1, PoolSize: 1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("a scratch index has no server")
		},
	})
	rdb.AddHook(scratchHook{s})
	cfg := ix.cfg
	cfg.Registerer, cfg.SingleServer, cfg.WaitReplicas = nil, true, 0
	six := New(rdb, ix.pseudo, cfg)
	six.profile = ix.profile
	taken = true
	return six, s, nil
}

// copyFrom reads every hash and string under the index's prefix.
func (s *Scratch) copyFrom(ctx context.Context) error {
	pattern := globEscape(s.ix.cfg.Prefix) + "*"
	one := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 2000).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				pipe := c.Pipeline()
				types := make([]*redis.StatusCmd, len(keys))
				for i, k := range keys {
					types[i] = pipe.Type(ctx, k)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
				hs := map[string]*redis.MapStringStringCmd{}
				ss := map[string]*redis.StringCmd{}
				for i, k := range keys {
					switch types[i].Val() {
					case "hash":
						hs[k] = pipe.HGetAll(ctx, k)
					case "string":
						ss[k] = pipe.Get(ctx, k)
					}
				}
				if pipe.Len() > 0 {
					if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
				}
				s.mu.Lock()
				for k, c := range hs {
					for f, v := range c.Val() {
						s.hashes.set(k, f, v)
					}
				}
				for k, c := range ss {
					if c.Err() == nil {
						s.strs[k] = c.Val()
					}
				}
				s.mu.Unlock()
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	return s.ix.eachMaster(ctx, one)
}

// globEscape escapes the characters SCAN's MATCH gives a meaning.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Size is the hash fields the scratch holds and the bytes they take in
// its chunks (names and values, and the room a value may grow into).
func (s *Scratch) Size() (fields int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hashes.size()
}

// Flush writes what the scratch changed to Redis, in pipelines of plain
// commands on up to four connections at once, then marks the index ready
// with the generation the record gives (see MarkReady). A Flush that
// fails leaves the index not ready, to be rebuilt from the record.
func (s *Scratch) Flush(ctx context.Context, generation Generation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dirty, s.ix.ReadyKey())
	for k := range s.hashes.written() {
		s.dirty[k] = true
	}
	keys := make([]string, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = s.flushKeys(ctx, keys[w*len(keys)/workers:(w+1)*len(keys)/workers])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return classify("redis: flush the index", err)
	}
	s.dirty, s.deleted = map[string]bool{}, map[string]map[string]bool{}
	select {
	case <-s.lost:
		return ErrLockLost
	default:
	}
	gen, err := generation(ctx)
	if err != nil {
		return err
	}
	return s.lease.markReady(ctx, gen)
}

// Close returns the scratch's memory to the system; closing it again
// does nothing. Neither it nor the Index deciding against it may be used
// after.
func (s *Scratch) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashes.free()
	if s.lease != nil {
		s.stopKeep()
		<-s.kept
		s.lease.release(context.Background()) //nolint:errcheck // the lease lapses anyway
		s.lease = nil
	}
}

// flushKeys writes keys, about 2,000 fields a round trip.
func (s *Scratch) flushKeys(ctx context.Context, keys []string) error {
	pipe := s.ix.rdb.Pipeline()
	queued := 0
	send := func() error {
		if pipe.Len() == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		queued = 0
		return err
	}
	for _, k := range keys {
		if del := s.deleted[k]; len(del) > 0 {
			fs := make([]string, 0, len(del))
			for f := range del {
				fs = append(fs, f)
			}
			pipe.HDel(ctx, k, fs...)
		}
		if n := s.hashes.len(k); n > 0 {
			args := make([]any, 0, 2*min(n, 1000))
			for f, v := range s.hashes.all(k) {
				args = append(args, f, v)
				if len(args) == 2000 {
					pipe.HSet(ctx, k, args...)
					args = args[:0]
				}
			}
			if len(args) > 0 {
				pipe.HSet(ctx, k, args...)
			}
			queued += n
		} else if v, ok := s.strs[k]; ok {
			pipe.Set(ctx, k, v, 0)
			queued++
		} else if !ok {
			pipe.Del(ctx, k)
		}
		if ms, ok := s.ttl[k]; ok {
			pipe.PExpire(ctx, k, time.Duration(ms)*time.Millisecond)
		}
		if queued >= 2000 {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// scratchHook runs a client's commands on the scratch instead of a server.
type scratchHook struct{ s *Scratch }

func (h scratchHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h scratchHook) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(_ context.Context, cmd redis.Cmder) error {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		h.s.run(cmd)
		return cmd.Err()
	}
}

func (h scratchHook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(_ context.Context, cmds []redis.Cmder) error {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		if readOnly(cmds) {
			// Reads change nothing, so their order does not matter: a
			// pipeline of them (the candidates' records of a batch) is
			// read on every core.
			par.ForEach(len(cmds), func(i int) { h.s.run(cmds[i]) })
		} else {
			for _, c := range cmds {
				h.s.run(c)
			}
		}
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				return err
			}
		}
		return nil
	}
}

// readOnly reports whether cmds are all HGETs, which a scratch may run
// at once: Go maps may be read by several goroutines while none writes.
func readOnly(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if c.Name() != "hget" {
			return false
		}
	}
	return true
}

// errScratch is a command or script the scratch does not run.
func errScratch(what string) error {
	return domain.Errorf(domain.KindInternal, "redis scratch", "%s is not run by a scratch index", what)
}

// run runs one command and sets its reply.
func (s *Scratch) run(cmd redis.Cmder) {
	raw := cmd.Args()
	args := make([]string, len(raw))
	for i, a := range raw {
		args[i] = argString(a)
	}
	v, err := s.exec(strings.ToLower(args[0]), args[1:])
	if err != nil {
		cmd.SetErr(err)
		return
	}
	setReply(cmd, v)
}

// argString is an argument as Redis receives it.
func argString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case time.Duration:
		return strconv.FormatInt(int64(v), 10)
	default:
		return fmt.Sprint(v)
	}
}

// nilReply stands for Redis's nil reply.
type nilReply struct{}

func setReply(cmd redis.Cmder, v any) {
	if _, ok := v.(nilReply); ok {
		cmd.SetErr(redis.Nil)
		return
	}
	switch c := cmd.(type) {
	case *redis.Cmd:
		c.SetVal(v)
	case *redis.StringCmd:
		switch x := v.(type) {
		case string:
			c.SetVal(x)
		case int64:
			c.SetVal(strconv.FormatInt(x, 10))
		}
	case *redis.IntCmd:
		if x, ok := v.(int64); ok {
			c.SetVal(x)
		}
	case *redis.BoolCmd:
		if x, ok := v.(int64); ok {
			c.SetVal(x != 0)
		}
	case *redis.StatusCmd:
		if x, ok := v.(string); ok {
			c.SetVal(x)
		}
	case *redis.SliceCmd:
		if x, ok := v.([]any); ok {
			c.SetVal(x)
		}
	case *redis.MapStringStringCmd:
		if x, ok := v.(map[string]string); ok {
			c.SetVal(x)
		}
	default:
		cmd.SetErr(errScratch(fmt.Sprintf("a reply of type %T", cmd)))
	}
}

// exec runs one command.
func (s *Scratch) exec(name string, a []string) (any, error) {
	need := func(n int) error {
		if len(a) < n {
			return errScratch(name + " with " + strconv.Itoa(len(a)) + " arguments")
		}
		return nil
	}
	switch name {
	case "ping":
		return "PONG", nil
	case "get":
		if err := need(1); err != nil {
			return nil, err
		}
		if v, ok := s.strs[a[0]]; ok {
			return v, nil
		}
		return nilReply{}, nil
	case "set":
		if err := need(2); err != nil || len(a) > 2 {
			return nil, errScratch("set with options")
		}
		s.setStr(a[0], a[1])
		return "OK", nil
	case "incr":
		if err := need(1); err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(s.strs[a[0]], 10, 64)
		n++
		s.setStr(a[0], strconv.FormatInt(n, 10))
		return n, nil
	case "del", "unlink":
		var n int64
		for _, k := range a {
			if s.hashes.exists(k) {
				n++
			} else if _, ok := s.strs[k]; ok {
				n++
			}
			s.hashes.drop(k)
			delete(s.strs, k)
			delete(s.deleted, k)
			delete(s.ttl, k)
			s.dirty[k] = true
		}
		return n, nil
	case "hget":
		if err := need(2); err != nil {
			return nil, err
		}
		if v, ok := s.hget(a[0], a[1]); ok {
			return v, nil
		}
		return nilReply{}, nil
	case "hmget":
		if err := need(2); err != nil {
			return nil, err
		}
		out := make([]any, len(a)-1)
		for i, f := range a[1:] {
			if v, ok := s.hget(a[0], f); ok {
				out[i] = v
			}
		}
		return out, nil
	case "hgetall":
		if err := need(1); err != nil {
			return nil, err
		}
		out := map[string]string{}
		for f, v := range s.hashes.all(a[0]) {
			out[f] = v
		}
		return out, nil
	case "hexists":
		if err := need(2); err != nil {
			return nil, err
		}
		return b2i(s.hexists(a[0], a[1])), nil
	case "hset":
		if len(a) < 3 || len(a)%2 == 0 {
			return nil, errScratch("hset with " + strconv.Itoa(len(a)) + " arguments")
		}
		var n int64
		for i := 1; i < len(a); i += 2 {
			if !s.hexists(a[0], a[i]) {
				n++
			}
			s.hset(a[0], a[i], a[i+1])
		}
		return n, nil
	case "hsetnx":
		if err := need(3); err != nil {
			return nil, err
		}
		if s.hexists(a[0], a[1]) {
			return int64(0), nil
		}
		s.hset(a[0], a[1], a[2])
		return int64(1), nil
	case "hdel":
		if err := need(2); err != nil {
			return nil, err
		}
		var n int64
		for _, f := range a[1:] {
			if s.hdel(a[0], f) {
				n++
			}
		}
		return n, nil
	case "hincrby":
		if err := need(3); err != nil {
			return nil, err
		}
		d, err := strconv.ParseInt(a[2], 10, 64)
		if err != nil {
			return nil, errScratch("hincrby by " + a[2])
		}
		v, _ := s.hget(a[0], a[1])
		n, _ := strconv.ParseInt(v, 10, 64)
		n += d
		s.hset(a[0], a[1], strconv.FormatInt(n, 10))
		return n, nil
	case "pexpire":
		if err := need(2); err != nil {
			return nil, err
		}
		ms, _ := strconv.ParseInt(a[1], 10, 64)
		if !s.hashes.exists(a[0]) {
			if _, ok := s.strs[a[0]]; !ok {
				return int64(0), nil
			}
		}
		s.ttl[a[0]] = ms
		return int64(1), nil
	case "info":
		return "# Server\r\nrun_id:" + s.runID + "\r\n", nil
	case "script":
		if len(a) == 2 && strings.EqualFold(a[0], "load") {
			h := redis.NewScript(a[1]).Hash()
			if s.scripts[h] == nil {
				return nil, errScratch("a script outside the index's")
			}
			return h, nil
		}
	case "evalsha":
		if err := need(2); err != nil {
			return nil, err
		}
		fn := s.scripts[a[0]]
		if fn == nil {
			return nil, errScratch("script " + a[0])
		}
		nk, err := strconv.Atoi(a[1])
		if err != nil || nk < 0 || 2+nk > len(a) {
			return nil, errScratch("evalsha with a bad key count")
		}
		return fn(s, a[2:2+nk], a[2+nk:])
	}
	return nil, errScratch(name)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (s *Scratch) hget(k, f string) (string, bool) {
	return s.hashes.get(k, f)
}

func (s *Scratch) hexists(k, f string) bool {
	return s.hashes.has(k, f)
}

func (s *Scratch) hset(k, f, v string) {
	s.hashes.set(k, f, v)
	if d := s.deleted[k]; d != nil {
		delete(d, f)
	}
}

func (s *Scratch) hdel(k, f string) bool {
	if !s.hashes.del(k, f) {
		return false
	}
	d := s.deleted[k]
	if d == nil {
		d = map[string]bool{}
		s.deleted[k] = d
	}
	d[f] = true
	s.dirty[k] = true
	return true
}

func (s *Scratch) setStr(k, v string) {
	s.strs[k] = v
	s.dirty[k] = true
}

// head is Lua's string.sub(v, 1, EVENT_HASH_LEN).
func head(v string) string { return v[:min(len(v), eventHashLen)] }

func arg(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

// The scripts of lua/, in Go; each comment names its script.

// enrol is enrol.lua.
func (s *Scratch) enrol(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) < 6 {
		return nil, errScratch("enrol.lua with these arguments")
	}
	k, pre := keys[0], a[0]
	eid, prog, wallet, rec, hold := a[1], a[2], a[3], a[4], a[5] == flagSet
	cur, ok := s.hget(k, pre+fieldEnrol+prog)
	if ok && head(cur) != eid {
		return []any{"BLOCK", domain.RuleDupNID, prog, ""}, nil
	}
	if !ok {
		for _, x := range a[6:] {
			if s.hexists(k, pre+fieldEnrol+x) {
				return []any{"BLOCK", domain.RuleMultiProgramme, x, ""}, nil
			}
		}
		s.hset(k, pre+fieldEnrol+prog, eid+wallet)
		s.hdel(k, pre+fieldExited+prog)
		s.hdel(k, pre+fieldSuspended+prog)
		if hold || s.hexists(k, pre+fieldDead) {
			s.hset(k, pre+fieldHeld+prog, flagSet)
		}
	}
	first := ""
	if rec != "" {
		owner, ok := s.hget(k, pre+fieldRecord)
		if !ok {
			owner = eid
		}
		owner = head(owner)
		s.hset(k, pre+fieldRecord, owner+rec)
		if owner == eid {
			first = flagSet
		}
	}
	if s.hexists(k, pre+fieldDead) {
		return []any{"HOLD", domain.RuleDeceasedOrExited, domain.StatusDeceased, "", first}, nil
	}
	return []any{"ADMIT", "", "", "", first}, nil
}

// block is block.lua.
func (s *Scratch) block(keys, a []string) (any, error) {
	if len(a) != 2+len(keys) {
		return nil, errScratch("block.lua with these arguments")
	}
	id := a[0]
	limit, err := strconv.Atoi(a[1])
	if err != nil {
		return nil, errScratch("block.lua with cap " + a[1])
	}
	out := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		f := a[2+i]
		v, _ := s.hget(k, f)
		n := len(v) / packedLen
		member := false
		for j := 0; j+len(id) <= len(v); j += packedLen {
			if v[j:j+len(id)] == id {
				member = true
				break
			}
		}
		switch {
		case member:
			out = append(out, int64(n-1), v)
		case n >= limit:
			out = append(out, int64(n), v)
		default:
			s.hset(k, f, v+id)
			out = append(out, int64(n), v)
		}
	}
	return out, nil
}

// ref is ref.lua.
func (s *Scratch) ref(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) != 2 {
		return nil, errScratch("ref.lua with these arguments")
	}
	cur, ok := s.hget(keys[0], a[0])
	if !ok {
		s.hset(keys[0], a[0], a[1])
		return "", nil
	}
	if cur == a[1] {
		return "", nil
	}
	return cur, nil
}

// link is link.lua.
func (s *Scratch) link(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) < 2 {
		return nil, errScratch("link.lua with these arguments")
	}
	k, f, v, was := keys[0], a[0], a[1], arg(a, 2)
	cur, ok := s.hget(k, f)
	if !ok || (was != "" && cur == was) {
		s.hset(k, f, v)
		return "", nil
	}
	if cur == v {
		return "=", nil
	}
	return cur, nil
}

// hold is hold.lua.
func (s *Scratch) hold(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) != 3 {
		return nil, errScratch("hold.lua with these arguments")
	}
	k, pre, eid, prog := keys[0], a[0], a[1], a[2]
	e, x := pre+fieldEnrol+prog, pre+fieldExited+prog
	v, ok := s.hget(k, e)
	if !ok {
		v, ok = s.hget(k, x)
	}
	if !ok || head(v) != eid {
		return int64(0), nil
	}
	s.hset(k, e, v)
	s.hset(k, pre+fieldHeld+prog, flagSet)
	s.hdel(k, x)
	s.hdel(k, pre+fieldSuspended+prog)
	return int64(1), nil
}

// claim is claim.lua.
func (s *Scratch) claim(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) != 4 {
		return nil, errScratch("claim.lua with these arguments")
	}
	k, pre, prog := keys[0], a[0], a[2]
	s.hset(k, pre+fieldEnrol+prog, a[1]+a[3])
	s.hdel(k, pre+fieldHeld+prog)
	s.hdel(k, pre+fieldSuspended+prog)
	s.hdel(k, pre+fieldExited+prog)
	return int64(1), nil
}

// note is note.lua.
func (s *Scratch) note(keys, a []string) (any, error) {
	if len(keys) != 2 || len(a) != 5 {
		return nil, errScratch("note.lua with these arguments")
	}
	k, notes, pre, eid, prog := keys[0], keys[1], a[0], a[1], a[2]
	if s.hexists(k, pre+fieldEnrol+prog) {
		return int64(0), nil
	}
	x, ok := s.hget(k, pre+fieldExited+prog)
	if !ok || head(x) == eid {
		return int64(0), nil
	}
	if !s.hexists(notes, a[3]) {
		s.hset(notes, a[3], x)
	}
	_, err := s.exec("pexpire", []string{notes, a[4]})
	return int64(1), err
}

// noteRef is note_ref.lua.
func (s *Scratch) noteRef(keys, a []string) (any, error) {
	if len(keys) != 2 || len(a) != 3 {
		return nil, errScratch("note_ref.lua with these arguments")
	}
	if s.hexists(keys[0], a[0]) {
		return int64(0), nil
	}
	if !s.hexists(keys[1], a[1]) {
		s.hset(keys[1], a[1], flagSet)
	}
	_, err := s.exec("pexpire", []string{keys[1], a[2]})
	return int64(1), err
}

// undoEnrol is undo_enrol.lua.
func (s *Scratch) undoEnrol(keys, a []string) (any, error) {
	if len(keys) != 2 || len(a) != 4 {
		return nil, errScratch("undo_enrol.lua with these arguments")
	}
	k, notes, pre, eid, prog, nf := keys[0], keys[1], a[0], a[1], a[2], a[3]
	note, hasNote := s.hget(notes, nf)
	mine := func(v string, ok bool) bool { return ok && head(v) == eid }
	e, x, su := pre+fieldEnrol+prog, pre+fieldExited+prog, pre+fieldSuspended+prog
	if !mine(s.hget(k, e)) {
		if mine(s.hget(k, x)) {
			return "acted", nil
		}
		s.hdel(notes, nf)
		return "none", nil
	}
	if s.hexists(k, su) {
		return "acted", nil
	}
	s.hdel(notes, nf)
	s.hdel(k, e)
	s.hdel(k, pre+fieldHeld+prog)
	if hasNote {
		s.hset(k, x, note)
	}
	for f := range s.hashes.all(k) {
		if strings.HasPrefix(f, pre+fieldEnrol) || strings.HasPrefix(f, pre+fieldExited) {
			return "undone", nil
		}
	}
	s.hdel(k, pre+fieldRecord)
	return "alone", nil
}

// undoRef is undo_ref.lua.
func (s *Scratch) undoRef(keys, a []string) (any, error) {
	if len(keys) != 2 || len(a) != 3 {
		return nil, errScratch("undo_ref.lua with these arguments")
	}
	if !s.hexists(keys[1], a[2]) {
		return int64(0), nil
	}
	s.hdel(keys[1], a[2])
	if v, ok := s.hget(keys[0], a[0]); ok && v == a[1] {
		s.hdel(keys[0], a[0])
		return int64(1), nil
	}
	return int64(0), nil
}

// undoLink is undo_link.lua.
func (s *Scratch) undoLink(keys, a []string) (any, error) {
	if len(keys) != 1 || len(a) != 2 {
		return nil, errScratch("undo_link.lua with these arguments")
	}
	if v, ok := s.hget(keys[0], a[0]); ok && v == a[1] {
		s.hdel(keys[0], a[0])
		return int64(1), nil
	}
	return int64(0), nil
}
