// Package configcheck holds the checks every built-in kill policy's
// Validate applies to its configuration, so that the four policies
// refuse the same nonsense with the same words: an action that is not
// stop, kill or remove, a percentage outside 0..100, a negative count or
// duration.
//
// Each check names the JSON field it was given, so the operator reads
// which setting of the configuration is wrong.
package configcheck
