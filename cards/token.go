// Package cards holds what an aid card carries: its random number and the
// signed token its QR code encodes. A token names a card and nothing else:
// no NID, no name, no person id, so that a lost or photographed card
// reveals nothing, and a forged one fails its signature. Keys carry an id,
// so that a new key can sign new cards while the old one still verifies
// the cards already printed.
package cards

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// tokenPrefix starts every token: the format's name and version, so that
// a scanner can tell an ekjon card from any other QR code.
const tokenPrefix = "EKC1"

// MaxTokenBytes bounds a token: longer input is not one, and is refused
// before any parsing.
const MaxTokenBytes = 256

// ErrInvalid says a token is not one ekjon signed: malformed, truncated,
// tampered with, or signed by a key the keyring does not hold.
var ErrInvalid = errors.New("not a card token signed by a known key")

// Claims is what a token says: the card's number and version.
type Claims struct {
	// KeyID names the key that signed the token.
	KeyID string
	// CardNo is the card's number (NumberDigits digits).
	CardNo string
	// Version counts the cards the person has held: 1 for the first, 2
	// for its replacement, and so on.
	Version int
}

// Keyring signs tokens with one key and verifies them with any it holds.
// It is safe for concurrent use once built.
type Keyring struct {
	signID string
	sign   ed25519.PrivateKey
	verify map[string]ed25519.PublicKey
}

// NewKeyring returns a keyring that signs with the key of id signID, which
// keys must hold, and verifies with every key of keys (by id). A key id is
// 1 to 8 of a-z and 0-9.
func NewKeyring(signID string, keys map[string]ed25519.PrivateKey) (*Keyring, error) {
	k := &Keyring{signID: signID, verify: make(map[string]ed25519.PublicKey, len(keys))}
	for id, priv := range keys {
		if !validKeyID(id) {
			return nil, fmt.Errorf("card key id %q: want 1 to 8 of a-z and 0-9", id)
		}
		if len(priv) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("card key %q: not an Ed25519 private key", id)
		}
		k.verify[id] = priv.Public().(ed25519.PublicKey)
	}
	priv, ok := keys[signID]
	if !ok {
		return nil, fmt.Errorf("card key %q, the one to sign with, is not among the keys", signID)
	}
	k.sign = priv
	return k, nil
}

// ParseKeys reads keys written as "id=seed,id2=seed2", each seed the
// 32-byte Ed25519 seed in base64 (standard or URL alphabet). The first
// key signs; the others only verify. It is how the keys come from
// configuration.
func ParseKeys(s string) (*Keyring, error) {
	keys := map[string]ed25519.PrivateKey{}
	first := ""
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, seed, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("card key %q: want id=base64-seed", redactKey(part))
		}
		b, err := decodeSeed(seed)
		if err != nil || len(b) != ed25519.SeedSize {
			return nil, fmt.Errorf("card key %q: the seed is not %d bytes of base64", id, ed25519.SeedSize)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("card key %q is given twice", id)
		}
		keys[id] = ed25519.NewKeyFromSeed(b)
		if first == "" {
			first = id
		}
	}
	if first == "" {
		return nil, errors.New("no card key given")
	}
	return NewKeyring(first, keys)
}

func decodeSeed(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// redactKey keeps a malformed key setting's seed out of error messages.
func redactKey(s string) string {
	if len(s) > 4 {
		return s[:4] + "…"
	}
	return s
}

func validKeyID(id string) bool {
	if id == "" || len(id) > 8 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// SigningKeyID returns the id of the key new tokens are signed with.
func (k *Keyring) SigningKeyID() string { return k.signID }

// Sign returns the token of card cardNo at version: the text a card's QR
// code holds, EKC1.<key id>.<card no>.<version>.<signature>, the
// signature base64url over everything before it.
func (k *Keyring) Sign(cardNo string, version int) string {
	body := tokenPrefix + "." + k.signID + "." + cardNo + "." + strconv.Itoa(version)
	sig := ed25519.Sign(k.sign, []byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Verify returns what token says if one of the keyring's keys signed it,
// and ErrInvalid otherwise. It never panics, whatever token holds.
func (k *Keyring) Verify(token string) (Claims, error) {
	if len(token) > MaxTokenBytes {
		return Claims{}, ErrInvalid
	}
	token = strings.TrimSpace(token)
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return Claims{}, ErrInvalid
	}
	body, sigText := token[:i], token[i+1:]
	parts := strings.Split(body, ".")
	if len(parts) != 4 || parts[0] != tokenPrefix {
		return Claims{}, ErrInvalid
	}
	pub, ok := k.verify[parts[1]]
	if !ok {
		return Claims{}, ErrInvalid
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, []byte(body), sig) {
		return Claims{}, ErrInvalid
	}
	v, err := strconv.Atoi(parts[3])
	if err != nil || v < 1 || !ValidNumber(parts[2]) {
		// Signed by us, so never seen; checked all the same.
		return Claims{}, ErrInvalid
	}
	return Claims{KeyID: parts[1], CardNo: parts[2], Version: v}, nil
}

// NumberDigits is the length of a card number: NumberDigits-1 random
// digits and a Luhn check digit, so that a number typed by hand with one
// digit wrong, or two swapped, is caught. Fifteen random digits keep
// collisions rare among tens of millions of cards; the record refuses the
// few that happen.
const NumberDigits = 16

// NewNumber returns a new random card number. It owes nothing to the
// person: the number of a card says nothing of whom it was issued to.
func NewNumber() (string, error) {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(NumberDigits-1), nil)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return "", fmt.Errorf("card number: %w", err)
	}
	s := fmt.Sprintf("%0*d", NumberDigits-1, n)
	return s + string(rune('0'+luhn(s))), nil
}

// ValidNumber reports whether s is a card number: NumberDigits ASCII digits
// whose last is the Luhn check digit of the others.
func ValidNumber(s string) bool {
	if len(s) != NumberDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return int(s[len(s)-1]-'0') == luhn(s[:len(s)-1])
}

// luhn returns the Luhn check digit of the digits s.
func luhn(s string) int {
	sum := 0
	double := true
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// Format groups a card number in fours, as it is printed.
func Format(cardNo string) string {
	var b strings.Builder
	for i := 0; i < len(cardNo); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(cardNo[i])
	}
	return b.String()
}

// DerivedKeyring returns a keyring of one key, of id "d1", derived from
// secret. It is for the demo and for deployments that have not yet set
// their own card keys: anyone with the secret can sign cards.
func DerivedKeyring(secret string) *Keyring {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("ekjon aid card signing key d1"))
	k, err := NewKeyring("d1", map[string]ed25519.PrivateKey{"d1": ed25519.NewKeyFromSeed(mac.Sum(nil))})
	if err != nil {
		panic("cards: derived keyring: " + err.Error()) // a fixed, valid id
	}
	return k
}
