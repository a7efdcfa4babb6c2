package cards

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func mustKeyring(t testing.TB, sign string, seeds ...string) *Keyring {
	t.Helper()
	keys := map[string]ed25519.PrivateKey{}
	for _, s := range seeds {
		seed := make([]byte, ed25519.SeedSize)
		copy(seed, s)
		keys[s] = ed25519.NewKeyFromSeed(seed)
	}
	k, err := NewKeyring(sign, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTokenRoundTrip(t *testing.T) {
	k := mustKeyring(t, "k1", "k1")
	no, err := NewNumber()
	if err != nil {
		t.Fatal(err)
	}
	tok := k.Sign(no, 2)
	c, err := k.Verify(tok)
	if err != nil {
		t.Fatalf("Verify(%q): %v", tok, err)
	}
	if c.CardNo != no || c.Version != 2 || c.KeyID != "k1" {
		t.Fatalf("claims %+v, want card %s version 2 key k1", c, no)
	}
}

func TestTokenRefused(t *testing.T) {
	k := mustKeyring(t, "k1", "k1")
	no, _ := NewNumber()
	good := k.Sign(no, 1)
	// A key of the same id but another seed: a forger who guessed the id.
	forgedSeed := make([]byte, ed25519.SeedSize)
	copy(forgedSeed, "forger")
	forger, _ := NewKeyring("k1", map[string]ed25519.PrivateKey{"k1": ed25519.NewKeyFromSeed(forgedSeed)})
	otherNo, _ := NewNumber()
	swapped := strings.Replace(good, no, otherNo, 1)
	sig := good[strings.LastIndexByte(good, '.')+1:]
	raw, _ := base64.RawURLEncoding.DecodeString(sig)
	raw[0] ^= 1
	flipped := good[:strings.LastIndexByte(good, '.')+1] + base64.RawURLEncoding.EncodeToString(raw)
	for name, tok := range map[string]string{
		"empty":          "",
		"garbage":        "hello",
		"truncated":      good[:len(good)-5],
		"no signature":   good[:strings.LastIndexByte(good, '.')],
		"card swapped":   swapped,
		"version raised": strings.Replace(good, "."+no+".1.", "."+no+".2.", 1),
		"signature bit":  flipped,
		"other key id":   mustKeyring(t, "k2", "k2").Sign(no, 1),
		"forged same id": forger.Sign(no, 1),
		"huge":           good + strings.Repeat("A", 4096),
		"other prefix":   strings.Replace(good, "EKC1", "EKC2", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Verify(tok); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify(%q) = %v, want ErrInvalid", tok, err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	old := mustKeyring(t, "k1", "k1")
	both := mustKeyring(t, "k2", "k1", "k2")
	no, _ := NewNumber()
	if _, err := both.Verify(old.Sign(no, 1)); err != nil {
		t.Fatalf("a card signed by the old key no longer verifies: %v", err)
	}
	tok := both.Sign(no, 1)
	if !strings.HasPrefix(tok, "EKC1.k2.") {
		t.Fatalf("new cards are not signed by the new key: %q", tok)
	}
	if _, err := old.Verify(tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a keyring without k2 accepted a k2 token: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	seed := base64.StdEncoding.EncodeToString(make([]byte, 32))
	k, err := ParseKeys("k2=" + seed + ", k1=" + seed)
	if err != nil || k.SigningKeyID() != "k2" {
		t.Fatalf("ParseKeys: %v, signing %q; want k2", err, k.SigningKeyID())
	}
	for _, bad := range []string{"", "k1", "k1=abc", "K1=" + seed, "k1=" + seed + ",k1=" + seed, "toolongid=" + seed} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), seed) {
			t.Errorf("ParseKeys(%q) error shows the seed: %v", bad, err)
		}
	}
}

func TestNumbers(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n, err := NewNumber()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidNumber(n) {
			t.Fatalf("NewNumber gave %q, which ValidNumber refuses", n)
		}
		if seen[n] {
			t.Fatalf("NewNumber repeated %q in 1000 draws", n)
		}
		seen[n] = true
		// One digit changed is caught by the check digit.
		b := []byte(n)
		b[3] = '0' + (b[3]-'0'+1)%10
		if ValidNumber(string(b)) {
			t.Fatalf("%q with one digit changed (%q) still valid", n, b)
		}
	}
	if got := Format("1234567890123456"); got != "1234 5678 9012 3456" {
		t.Fatalf("Format = %q", got)
	}
}

func FuzzVerify(f *testing.F) {
	k := mustKeyring(f, "k1", "k1")
	f.Add(k.Sign("1234567890123452", 1))
	f.Add("EKC1.k1.x.1.y")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := k.Verify(s)
		if err == nil && k.Sign(c.CardNo, c.Version) != strings.TrimSpace(s) {
			t.Fatalf("Verify accepted %q, which is not what the key signs for %+v", s, c)
		}
	})
}
