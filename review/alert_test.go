package review

import (
	"testing"
	"time"

	"github.com/ekjon/ekjon/domain"
)

func TestAlertCursor(t *testing.T) {
	for _, c := range []AlertCursor{
		{CreatedAt: time.Date(2026, 11, 1, 10, 0, 0, 123456000, time.UTC), AlertID: "enr-1/FUZZY_PERSON"},
		{CreatedAt: time.Unix(0, 0).UTC(), AlertID: ""},
		{CreatedAt: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), AlertID: "ইভেন্ট/১ ?&=."},
	} {
		got, err := DecodeAlertCursor(c.Encode())
		if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.AlertID != c.AlertID {
			t.Errorf("%+v came back as %+v, %v", c, got, err)
		}
	}
	for _, s := range []string{"", "zzz", "abc", ".", "!!.YQ", "lr.not base64!"} {
		_, err := DecodeAlertCursor(s)
		if domain.KindOf(err) != domain.KindInvalid || len(domain.FieldsOf(err)) != 1 || domain.FieldsOf(err)[0].Field != "cursor" {
			t.Errorf("DecodeAlertCursor(%q): %v, want an invalid cursor field", s, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	for _, tc := range []struct{ limit, want int }{{0, 50}, {-3, 50}, {1, 1}, {500, 500}, {501, 500}, {10_000, 500}} {
		if got := (AlertFilter{Limit: tc.limit}).PageSize(); got != tc.want {
			t.Errorf("PageSize with Limit %d = %d, want %d", tc.limit, got, tc.want)
		}
	}
}
