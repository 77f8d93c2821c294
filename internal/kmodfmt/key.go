package kmodfmt

import "unsafe"

// bytesToKey views key bytes as a string without copying. The result is
// only used for comparisons while the input buffer is alive and unchanged,
// which the decoder guarantees: keys never escape a field callback.
func bytesToKey(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
