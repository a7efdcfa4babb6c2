package redisindex

// MustReady is mustReady, for the tests of the package's API.
var MustReady = mustReady
