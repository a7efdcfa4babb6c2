package postgres

// MigrateTo applies the migrations up to a version, for the tests of a
// migration on a record written under an older schema.
var MigrateTo = migrateTo

// ReadDecisions is the query of Store.Decisions.
const ReadDecisions = readDecisions
