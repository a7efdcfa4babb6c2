// Package eval measures ekjon's matcher on labelled enrolments: it replays
// a stream through the exact NID rules and the fuzzy matcher on an
// in-memory copy of the Redis index (same blocks, same caps, same records,
// same token frequencies) and compares what they decide with the truth. It
// backs `ekjon eval`. It is a tool: nothing of `ekjon run` imports it.
//
// # Labelled format
//
// A labelled data set is two files of JSON lines that pair line by line
// (docs/evaluation.md has the same description with an example):
//
//   - the events file holds one v1 event per line, the bytes a source
//     system produces to Kafka (docs/events.md). Enrolments are evaluated;
//     other event types are counted and skipped; a line that does not
//     decode or validate is a rejected enrolment.
//   - the truth file's line k describes event line k, as a JSON object
//     with "event_id" (required; equal to the event line's event_id
//     whenever that line has a readable one), "person_id" (required: the
//     true person, one id for every record of one human, so a cluster id)
//     and "pattern", the label column: the kind of variation or hard
//     negative the event is, where the producer knows it. Other fields are
//     ignored; `ekjon gen` adds the rules and action it expects and
//     whether the event is fraud.
//
// The labels the report knows, with what the rules should do:
//
//   - clean: a person's first enrolment, or a second one under the same
//     NID in a compatible programme; no match.
//   - fuzzy_dup: the same person enrolled again under a name variant and
//     another NID or none; FUZZY_PERSON with a person of the same cluster.
//   - shared_phone: a hard negative, another person giving a phone others
//     gave too; no match, or a SHARED_CONTACT alert.
//   - dup_nid, multi_programme: blocked by DUP_NID or MULTI_PROGRAMME.
//   - malformed: REJECTED.
//
// Any other label, or none, gets a row of its own in the confusion table,
// with no expectation. The recall of fuzzy duplicates counts fuzzy_dup
// only; precision, recall and F1 per action use person_id alone.
//
// `ekjon gen` writes this format. `ekjon eval` reads it; when asked to
// generate the data itself, it writes the same two files to a temporary
// directory first, so every evaluation reads files.
package eval
