package redisindex

import (
	"context"

	"github.com/ekjon/ekjon/domain"
)

// Release undoes the claims Decide made for outs, whose decisions the
// record refused for good. Until the claims can be undone one by one, the
// whole index is marked incomplete and rebuilt from the record, which does
// not hold them.
func (ix *Index) Release(ctx context.Context, outs []*domain.Outcome) error {
	if len(outs) == 0 {
		return nil
	}
	return ix.Invalidate(ctx)
}
