// Package score compares two compact person records and says, with its
// reasons, how likely they are to be one person.
//
// The matcher calls it after blocking: an enrolment whose NID is new or
// missing fetches candidate [Record]s from the index and ranks them with a
// [Query], which does once what [Model.Score] does for every pair and
// explains only the candidate kept. The score is a Fellegi-Sunter match weight: the sum,
// over fields, of log2(m/u), where m is the chance that two records of one
// person agree at a level and u the chance that two different people do.
// Each field's share is kept in [Result.Contributions] so that a reviewer
// sees why a pair was held.
//
// Name tokens arrive already folded to a Latin skeleton by the name
// normaliser; this package neither normalises nor transliterates. Phone and
// NID arrive as short keyed hashes and are compared only for equality, so
// nothing here ever holds a phone number or an NID in clear.
//
// Everything in the package is pure: no I/O, no package-level state.
package score
