package review

import "time"

// The kinds of a cluster edge. An exact edge joins two records of one
// person id (the same NID or a number linked to it: DUP_NID,
// MULTI_PROGRAMME, or an enrolment elsewhere); it is never stored, as the
// person id is the link. A fuzzy edge is a FUZZY_PERSON decision, the
// matcher's match above the hold threshold; a same_person edge is a
// reviewer's "same person" ruling. Only these two are stored, and only
// they can be removed or refused.
const (
	EdgeExact      = "exact"
	EdgeFuzzy      = "fuzzy"
	EdgeSamePerson = "same_person"
)

// The states of a stored edge: live joins its two persons; removed was
// undone by a reviewer's "not the same person"; refused was never applied,
// as it would have joined two persons judged not the same.
const (
	EdgeLive    = "live"
	EdgeRemoved = "removed"
	EdgeRefused = "refused"
)

// The kinds of a cluster history entry.
const (
	HistoryMerge   = "merge"   // cluster_id took in other_id
	HistorySplit   = "split"   // other_id left cluster_id
	HistoryRefused = "refused" // an edge would have joined cluster_id and other_id
)

// ClusterView is the person a person id belongs to: the records of every
// person id in its cluster, the edges that join them and what became of
// the cluster. ClusterID is the person id of its oldest member.
type ClusterView struct {
	ClusterID string          `json:"cluster_id"`
	PersonID  string          `json:"person_id"`
	Persons   []string        `json:"persons"`
	Members   []ClusterMember `json:"members"`
	Edges     []ClusterEdge   `json:"edges"`
	History   []ClusterEvent  `json:"history"`
}

// ClusterMember is one record of a cluster: an enrolment, with its
// decision and its identifiers (masked by the API).
type ClusterMember struct {
	RecordID   string    `json:"record_id"`
	PersonID   string    `json:"person_id"`
	Programme  string    `json:"programme"`
	Status     string    `json:"status"`
	Action     string    `json:"action,omitempty"`
	Rules      []string  `json:"rules"`
	NameBN     string    `json:"name_bn,omitempty"`
	NameEN     string    `json:"name_en,omitempty"`
	DOB        string    `json:"dob,omitempty"`
	NID        string    `json:"nid,omitempty"`
	BirthRegNo string    `json:"birth_reg_no,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	District   string    `json:"district,omitempty"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

// ClusterEdge joins two records of a cluster. For a fuzzy edge RecordID
// is the record whose decision matched and MatchedRecordID the matched
// person's first record; for a same_person edge, the alert's record and
// the matched person's first record. Evidence is the rules of an exact
// edge's record, the score of a fuzzy one and the alert and reviewer of a
// ruling.
type ClusterEdge struct {
	EdgeID          int64      `json:"edge_id,omitempty"`
	Kind            string     `json:"kind"`
	State           string     `json:"state"`
	PersonA         string     `json:"person_a"`
	PersonB         string     `json:"person_b"`
	RecordID        string     `json:"record_id,omitempty"`
	MatchedRecordID string     `json:"matched_record_id,omitempty"`
	Rules           []string   `json:"rules,omitempty"`
	Score           float64    `json:"score,omitempty"`
	AlertID         string     `json:"alert_id,omitempty"`
	DecidedBy       string     `json:"decided_by,omitempty"`
	At              time.Time  `json:"at"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	EndedBy         string     `json:"ended_by,omitempty"`
}

// ClusterEvent is one entry of a cluster's history.
type ClusterEvent struct {
	Kind      string    `json:"kind"`
	ClusterID string    `json:"cluster_id"`
	OtherID   string    `json:"other_id"`
	EdgeID    int64     `json:"edge_id,omitempty"`
	Persons   []string  `json:"persons"`
	EventID   string    `json:"event_id,omitempty"`
	AlertID   string    `json:"alert_id,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	At        time.Time `json:"at"`
}

// MaskCluster masks, in place, the identifiers of a cluster's records
// whatever the role: the cluster shows how records are linked, and a
// number in clear is read on the person's own page, where the read is
// audited.
func MaskCluster(c *ClusterView) {
	for i := range c.Members {
		m := &c.Members[i]
		m.NID = MaskField(RoleViewer, "nid", m.NID)
		m.BirthRegNo = MaskField(RoleViewer, "birth_reg_no", m.BirthRegNo)
		m.Phone = MaskField(RoleViewer, "phone", m.Phone)
	}
}
