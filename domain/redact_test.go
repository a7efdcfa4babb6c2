package domain

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`invalid input: "19502612345678901"`, `invalid input: "…"`},
		{"phone 01712345678 and ০১৭১২৩৪৫৬৭৮.", "phone … and …."},
		{"SQLSTATE 22001 at offset 123456789", "SQLSTATE 22001 at offset 123456789"},
		{"", ""},
		{"1234567890", "…"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
