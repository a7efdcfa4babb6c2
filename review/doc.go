// Package review is how reviewers work the alerts, beside the domain: the
// roles and what each may see, the rulings a reviewer makes on an alert and
// the policy that turns a ruling into a Plan (or refuses it), the read
// model reviewers see (alerts, cases, persons, the overview), the store
// interfaces the review service needs, and the relay that publishes the
// decisions reviewers revised.
//
// It imports only the domain and the standard library: sinks/postgres
// implements its stores, api serves it over HTTP, cmd/ekjon wires them.
package review
