package kmodfmt

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting while skipping unknown values, so hostile input
// cannot exhaust the stack.
const maxDepth = 64

// lexer is a strict JSON tokenizer over one in-memory document.
type lexer struct {
	buf []byte
	pos int
	// more, when set, waits for more of a document that is still being
	// read and returns the longer buffer (buf is a prefix of it), or nil
	// once the input is complete. See line.
	more func() []byte
}

// line makes sure that the rest of the line that starts at the next
// non-space byte is in buf, waiting for input when streaming. Callers use
// it at line boundaries of the module's layout (one record per line);
// input laid out otherwise is still parsed correctly once complete.
func (l *lexer) line() {
	for l.more != nil {
		rest := l.buf[l.pos:]
		j := 0
		for j < len(rest) && (rest[j] == ' ' || rest[j] == '\n' || rest[j] == '\t' || rest[j] == '\r') {
			j++
		}
		if j < len(rest) && bytes.IndexByte(rest[j:], '\n') >= 0 {
			return
		}
		l.wait()
	}
}

// wait takes the next, longer buffer, or ends streaming at end of input.
func (l *lexer) wait() {
	if b := l.more(); b != nil {
		l.buf = b
		return
	}
	l.more = nil
}

// rest waits for the whole input.
func (l *lexer) rest() {
	for l.more != nil {
		l.wait()
	}
}

// SyntaxError reports malformed input and the byte offset where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("kwarden format: %s at offset %d", e.Msg, e.Offset)
}

func (l *lexer) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: l.pos, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) skipWS() {
	for l.pos < len(l.buf) {
		switch l.buf[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at EOF.
func (l *lexer) peek() byte {
	l.skipWS()
	if l.pos >= len(l.buf) {
		return 0
	}
	return l.buf[l.pos]
}

func (l *lexer) expect(c byte) error {
	if l.peek() != c {
		if l.pos >= len(l.buf) {
			return l.errorf("unexpected end of input, want %q", c)
		}
		return l.errorf("unexpected %q, want %q", l.buf[l.pos], c)
	}
	l.pos++
	return nil
}

// plainByte marks the bytes a string copies unchanged: printable ASCII
// other than '"' and '\\'. One table look-up per byte is the hot loop.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawString consumes a string and returns its bytes between the quotes.
// When the string holds no escape and is valid UTF-8, the returned slice
// aliases the input and escaped is false; otherwise it must be decoded.
func (l *lexer) rawString() (raw []byte, escaped bool, err error) {
	if err := l.expect('"'); err != nil {
		return nil, false, err
	}
	start := l.pos
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		if plainByte[c] {
			l.pos++
			continue
		}
		switch {
		case c == '"':
			raw = l.buf[start:l.pos]
			l.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			l.pos += 2
		case c < 0x20:
			return nil, false, l.errorf("control byte 0x%02x in string", c)
		case c >= utf8.RuneSelf:
			escaped = true // may need U+FFFD replacement
			l.pos++
		default:
			l.pos++
		}
	}
	l.pos = len(l.buf)
	return nil, false, l.errorf("unterminated string")
}

// str consumes a string and returns it decoded.
func (l *lexer) str() (string, error) {
	start := l.pos
	raw, escaped, err := l.rawString()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	s, err := unescape(raw)
	if err != nil {
		return "", &SyntaxError{Offset: start, Msg: err.Error()}
	}
	return s, nil
}

var errBadEscape = errors.New("invalid escape in string")

// unescape decodes a JSON string body. Invalid UTF-8 becomes U+FFFD per
// byte, as encoding/json does.
func unescape(raw []byte) (string, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(raw[i:])
			out = utf8.AppendRune(out, r) // RuneError for an invalid byte
			i += n
			continue
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", errBadEscape
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return "", errBadEscape
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if len(raw) >= i+6 && raw[i] == '\\' && raw[i+1] == 'u' {
					if lo, ok := hex4(raw[i+2:]); ok {
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
							i += 6
						}
					}
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", errBadEscape
		}
		i += 2
	}
	return string(out), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// uint consumes a non-negative integer. The format has no other numbers.
func (l *lexer) uint() (uint64, error) {
	l.skipWS()
	start := l.pos
	var v uint64
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, l.errorf("integer overflows 64 bits")
		}
		v = v*10 + d
		l.pos++
	}
	switch {
	case l.pos == start:
		return 0, l.errorf("want a non-negative integer")
	case l.pos-start > 1 && l.buf[start] == '0':
		return 0, &SyntaxError{Offset: start, Msg: "integer with leading zero"}
	case l.pos < len(l.buf) && (l.buf[l.pos] == '.' || l.buf[l.pos] == 'e' || l.buf[l.pos] == 'E'):
		return 0, l.errorf("want an integer, found a fraction or exponent")
	}
	return v, nil
}

func (l *lexer) literal(word string) bool {
	l.skipWS()
	if len(l.buf)-l.pos >= len(word) && string(l.buf[l.pos:l.pos+len(word)]) == word {
		l.pos += len(word)
		return true
	}
	return false
}

func (l *lexer) boolean() (bool, error) {
	switch {
	case l.literal("true"):
		return true, nil
	case l.literal("false"):
		return false, nil
	}
	return false, l.errorf("want true or false")
}

// skipValue consumes any JSON value; it is how unknown fields are ignored.
func (l *lexer) skipValue(depth int) error {
	if depth > maxDepth {
		return l.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := l.peek(); {
	case c == '"':
		_, _, err := l.rawString()
		return err
	case c == '{':
		return l.object(func(string) error { return l.skipValue(depth + 1) })
	case c == '[':
		return l.array(func() error { return l.skipValue(depth + 1) })
	case c == 't' || c == 'f':
		_, err := l.boolean()
		return err
	case c == 'n':
		if l.literal("null") {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return l.number()
	}
	return l.errorf("want a value")
}

// number consumes any JSON number (only for skipped fields).
func (l *lexer) number() error {
	start := l.pos
	if l.pos < len(l.buf) && l.buf[l.pos] == '-' {
		l.pos++
	}
	digits := func() int {
		n := 0
		for l.pos < len(l.buf) && l.buf[l.pos] >= '0' && l.buf[l.pos] <= '9' {
			l.pos++
			n++
		}
		return n
	}
	if digits() == 0 {
		return &SyntaxError{Offset: start, Msg: "malformed number"}
	}
	if l.pos < len(l.buf) && l.buf[l.pos] == '.' {
		l.pos++
		if digits() == 0 {
			return &SyntaxError{Offset: start, Msg: "malformed number"}
		}
	}
	if l.pos < len(l.buf) && (l.buf[l.pos] == 'e' || l.buf[l.pos] == 'E') {
		l.pos++
		if l.pos < len(l.buf) && (l.buf[l.pos] == '+' || l.buf[l.pos] == '-') {
			l.pos++
		}
		if digits() == 0 {
			return &SyntaxError{Offset: start, Msg: "malformed number"}
		}
	}
	return nil
}

// key consumes an object key and the colon after it. The result is only
// valid until the input buffer changes (see bytesToKey).
func (l *lexer) key() (string, error) {
	raw, escaped, err := l.rawString()
	if err != nil {
		return "", err
	}
	key := bytesToKey(raw)
	if escaped {
		if key, err = unescape(raw); err != nil {
			return "", l.errorf("%v", err)
		}
	}
	if l.pos < len(l.buf) && l.buf[l.pos] == ':' {
		l.pos++
		return key, nil
	}
	return key, l.expect(':')
}

// object consumes an object, calling field for each key with the lexer
// positioned at the value. The key string is only valid during the call.
func (l *lexer) object(field func(key string) error) error {
	if err := l.expect('{'); err != nil {
		return err
	}
	if l.peek() == '}' {
		l.pos++
		return nil
	}
	for {
		key, err := l.key()
		if err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.pos++
		case '}':
			l.pos++
			return nil
		default:
			return l.errorf("want ',' or '}' after object member")
		}
	}
}

// array consumes an array, calling elem with the lexer at each element.
func (l *lexer) array(elem func() error) error {
	if err := l.expect('['); err != nil {
		return err
	}
	if l.peek() == ']' {
		l.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.pos++
		case ']':
			l.pos++
			return nil
		default:
			return l.errorf("want ',' or ']' after array element")
		}
	}
}

// end checks that only white space follows the document.
func (l *lexer) end() error {
	l.rest()
	if l.peek() != 0 {
		return l.errorf("data after the end of the document")
	}
	return nil
}
