package domain

// A judgement is a reviewer's call on whether two persons are one. It is
// stored for the pair, and the matcher respects it from then on: persons
// judged not the same are never matched again.
const (
	JudgementSame    = "same"
	JudgementNotSame = "not_same"
)
