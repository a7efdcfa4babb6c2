// Package review is how reviewers work the alerts, beside the domain: the
// roles and what each may see, the rulings a reviewer makes on an alert and
// the policy that turns a ruling into a Plan (or refuses it), the read
// model reviewers see (alerts, cases, persons, the overview), the store
// interfaces the review service needs, and the relay that publishes the
// decisions reviewers revised.
//
// Words, one for each idea. A decision is ekjon's ADMIT, BLOCK, HOLD or
// REJECTED on one event, and only the pipeline decides, against the
// matching index (Decide). The matcher scores a pair of persons; a score's
// verdict is the rule it calls for (score.Model.Verdict). A reviewer rules:
// a ruling (confirm, release, dismiss, escalate, same or not the same
// person) closes or escalates an alert and may revise the event's
// decision. A ruling that two persons are, or are not, one is also kept as
// a judgement on the pair, which the matcher then obeys. The API and the
// forms carry a ruling in their "decision" field and a judgement in
// "verdict": names kept because clients send and read them.
//
// It imports only the domain and the standard library: sinks/postgres
// implements its stores, api serves it over HTTP, cmd/ekjon wires them.
package review
