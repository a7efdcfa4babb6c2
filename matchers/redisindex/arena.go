package redisindex

import (
	"hash/maphash"
	"iter"
	"unsafe"
)

// hashStore holds the hash keys of a Scratch: millions of small fields,
// kept in large byte chunks and found through a map of integers, so that
// the garbage collector has no pointer to follow in them and each field
// costs its bytes and about 70 more. A field is found by a 128-bit keyed
// hash of its key and name (maphash, under two seeds of this process):
// two fields would share one only among some 2^64 fields, so the name is
// not compared again, which would cost a read of memory far away on every
// look-up. A value rewritten in place keeps its room when it fits; a
// value that grows (a block taking a member) moves to room twice its
// size, so that a block of n members is copied about log n times, not n.
type hashStore struct {
	seeds  [2]maphash.Seed
	chunks [][]byte
	// fields are in chunks of fieldsPerChunk, n of them in all.
	fields [][]field
	n      int
	at     map[[2]uint64]uint32
	// keys lists each key's fields (by index in fields).
	keys map[string][]uint32
	// sum is hash, unless a test makes fields share a hash.
	sum func(k, f string) [2]uint64
}

// field is one hash field: where its key and name are, and its value.
type field struct {
	name      uint64 // position of the key's bytes, then the field's
	klen      uint32
	flen      uint32
	val       uint64 // position of the value
	vlen, cap uint32
	gone      bool
	dirty     bool // set since the last clean
}

const (
	chunkSize      = 1 << 24
	fieldsPerChunk = 1 << 16
)

// field returns field i.
func (s *hashStore) field(i uint32) *field { return &s.fields[i/fieldsPerChunk][i%fieldsPerChunk] }

func newHashStore() *hashStore {
	s := &hashStore{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		at: map[[2]uint64]uint32{}, keys: map[string][]uint32{}}
	s.sum = s.hash
	return s
}

// alloc returns the position of n fresh bytes.
func (s *hashStore) alloc(n int) uint64 {
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+n > cap(s.chunks[last]) {
		s.chunks = append(s.chunks, newChunk(max(chunkSize, n))[:0])
		last++
	}
	off := len(s.chunks[last])
	s.chunks[last] = s.chunks[last][:off+n]
	return uint64(last)<<32 | uint64(off)
}

func (s *hashStore) bytes(pos uint64, n uint32) []byte {
	c, off := pos>>32, pos&(1<<32-1)
	return s.chunks[c][off : off+uint64(n)]
}

func (s *hashStore) hash(k, f string) [2]uint64 {
	var h [2]uint64
	for i, seed := range s.seeds {
		h[i] = maphash.String(seed, k)*0x9e3779b97f4a7c15 + maphash.String(seed, f)
	}
	return h
}

// find returns the index of key k's field f, if it is held.
func (s *hashStore) find(k, f string) (uint32, bool) {
	i, ok := s.at[s.sum(k, f)]
	return i, ok && !s.field(i).gone
}

func (s *hashStore) get(k, f string) (string, bool) {
	i, ok := s.find(k, f)
	if !ok {
		return "", false
	}
	fl := s.field(i)
	return string(s.bytes(fl.val, fl.vlen)), true
}

func (s *hashStore) has(k, f string) bool {
	_, ok := s.find(k, f)
	return ok
}

// set sets key k's field f to v.
func (s *hashStore) set(k, f, v string) {
	h := s.sum(k, f)
	if i, ok := s.at[h]; ok {
		fl := s.field(i)
		if fl.gone {
			fl.gone = false
			s.keys[k] = append(s.keys[k], i)
		}
		if uint32(len(v)) > fl.cap {
			fl.cap = max(uint32(len(v)), 2*fl.cap)
			fl.val = s.alloc(int(fl.cap))
		}
		fl.vlen, fl.dirty = uint32(len(v)), true
		copy(s.bytes(fl.val, fl.vlen), v)
		return
	}
	i := uint32(s.n)
	name := s.alloc(len(k) + len(f))
	b := s.bytes(name, uint32(len(k)+len(f)))
	copy(b, k)
	copy(b[len(k):], f)
	val := s.alloc(len(v))
	copy(s.bytes(val, uint32(len(v))), v)
	if s.n%fieldsPerChunk == 0 {
		s.fields = append(s.fields, newFields(fieldsPerChunk))
	}
	s.n++
	*s.field(i) = (field{name: name, klen: uint32(len(k)), flen: uint32(len(f)), val: val, vlen: uint32(len(v)), cap: uint32(len(v)), dirty: true})
	s.at[h] = i
	s.keys[k] = append(s.keys[k], i)
}

// del deletes key k's field f, and reports whether it was held.
func (s *hashStore) del(k, f string) bool {
	i, ok := s.find(k, f)
	if !ok {
		return false
	}
	s.field(i).gone = true
	l := s.keys[k]
	for j, x := range l {
		if x == i {
			l = append(l[:j], l[j+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(s.keys, k)
	} else {
		s.keys[k] = l
	}
	return true
}

// exists reports whether key k holds a field.
func (s *hashStore) exists(k string) bool { return len(s.keys[k]) > 0 }

// all yields key k's fields and values.
func (s *hashStore) all(k string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, i := range s.keys[k] {
			fl := s.field(i)
			b := s.bytes(fl.name, fl.klen+fl.flen)
			if !yield(string(b[fl.klen:]), string(s.bytes(fl.val, fl.vlen))) {
				return
			}
		}
	}
}

// len is the number of fields key k holds.
func (s *hashStore) len(k string) int { return len(s.keys[k]) }

// drop deletes key k.
func (s *hashStore) drop(k string) {
	for _, i := range s.keys[k] {
		s.field(i).gone = true
	}
	delete(s.keys, k)
}

// written returns the keys that hold a field set since the last clean,
// and cleans them.
func (s *hashStore) written() map[string]bool {
	out := map[string]bool{}
	for i := range uint32(s.n) {
		fl := s.field(i)
		if fl.dirty && !fl.gone {
			out[string(s.bytes(fl.name, fl.klen))] = true
		}
		fl.dirty = false
	}
	return out
}

// size returns the fields held and the bytes of their chunks.
func (s *hashStore) size() (fields int, bytes int64) {
	for _, c := range s.chunks {
		bytes += int64(cap(c))
	}
	return s.n, bytes + int64(len(s.fields))*fieldsPerChunk*int64(unsafe.Sizeof(field{}))
}

// free returns the store's chunks to the system; the store is empty and
// must not be used after.
func (s *hashStore) free() {
	for _, c := range s.chunks {
		freeChunk(c[:cap(c)])
	}
	for _, f := range s.fields {
		freeChunk(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), len(f)*int(unsafe.Sizeof(field{}))))
	}
	*s = hashStore{}
}

// newFields returns room for n fields, zeroed, in a chunk of its own:
// fields hold no pointers, so they may live outside Go's heap.
func newFields(n int) []field {
	b := newChunk(n * int(unsafe.Sizeof(field{})))
	return unsafe.Slice((*field)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
