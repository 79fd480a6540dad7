package openaiwire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The fast path for stream chunks. encoding/json spends most of a chunk's
// cost validating the whole payload, then walking it again by reflection,
// then again for each flexString and RawMessage field. A chunk is small
// and always the same shape, so a single hand-written pass decodes it.
//
// The fast path is only allowed to succeed when encoding/json would
// produce exactly the same value with no error. Anything it is not sure
// about (a syntax error, a type encoding/json would reject, a duplicate
// key, a key that only matches a field case-insensitively, an escape it
// does not decode itself, deep nesting) makes it give up, and the caller
// decodes the payload with encoding/json as before, errors included.

// fastDecoder is implemented by event types with a fast path. decodeFast
// reports false when the caller must reset the value and use
// encoding/json instead.
type fastDecoder interface {
	decodeFast(data []byte) bool
}

// maxScanDepth bounds the nesting the fast path follows in skipped
// values; deeper payloads go to encoding/json.
const maxScanDepth = 64

// scanner walks one JSON document.
type scanner struct {
	b     []byte
	i     int
	depth int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end) without taking it.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// eat takes c if it is the next non-space byte.
func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only spaces are left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// rawString takes a string literal and returns what is between its
// quotes, and whether that holds escapes.
func (s *scanner) rawString() (lit []byte, esc, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], esc, true
		case c == '\\':
			esc = true
			j++
			if j >= len(s.b) {
				return nil, false, false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) || !isHex(s.b[j+1]) || !isHex(s.b[j+2]) || !isHex(s.b[j+3]) || !isHex(s.b[j+4]) {
					return nil, false, false
				}
				j += 4
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// str takes a string literal and decodes it as encoding/json does.
func (s *scanner) str() (string, bool) {
	from := s.i
	lit, esc, ok := s.rawString()
	if !ok {
		return "", false
	}
	if utf8.Valid(lit) {
		if !esc {
			return string(lit), true
		}
		if v, ok := unescape(lit); ok {
			return v, true
		}
	}
	// Invalid UTF-8 or a surrogate escape: encoding/json's own rules
	// (U+FFFD replacements, surrogate pairs) on just this literal.
	var v string
	if json.Unmarshal(bytes.TrimLeft(s.b[from:s.i], " \t\r\n"), &v) != nil {
		return "", false
	}
	return v, true
}

// unescape decodes the escapes of a valid UTF-8 literal; false for a
// \u escape in the surrogate range (left to encoding/json).
func unescape(lit []byte) (string, bool) {
	out := make([]byte, 0, len(lit))
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch e := lit[i]; e {
		case '"', '\\', '/':
			out = append(out, e)
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
			r, err := strconv.ParseUint(string(lit[i+1:i+5]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return string(out), true
}

// number takes a number literal (JSON grammar) and returns it.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	lit := b[s.i:i]
	s.i = i
	return lit, true
}

// integer takes a number that encoding/json would store in an int.
func (s *scanner) integer() (int, bool) {
	lit, ok := s.number()
	if !ok || bytes.ContainsAny(lit, ".eE") {
		return 0, false
	}
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	return int(n), err == nil
}

// literal takes the literal word (true, false, null).
func (s *scanner) literal(word string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// null takes a null if it comes next.
func (s *scanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

// skip takes any valid value.
func (s *scanner) skip() bool {
	s.depth++
	ok := s.skipValue()
	s.depth--
	return ok
}

func (s *scanner) skipValue() bool {
	if s.depth > maxScanDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, ok := s.rawString()
		return ok
	case c == '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if _, _, ok := s.rawString(); !ok || !s.eat(':') || !s.skip() {
				return false
			}
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip() {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		_, ok := s.number()
		return ok
	}
	return false
}

// object takes an object, calling field for each key (with the scanner
// at its value); field takes the value and reports success. seen catches
// duplicate keys among the first 64 known fields: field returns the bit
// of a known key, 0 for an unknown one.
func (s *scanner) object(field func(key []byte) (bit uint64, ok bool)) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	var seen uint64
	for {
		key, esc, ok := s.rawString()
		if !ok || esc || !s.eat(':') {
			return false
		}
		bit, ok := field(key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// array takes an array (or null, which takes nothing), calling elem at
// each element.
func (s *scanner) array(elem func() bool) bool {
	if s.null() {
		return true
	}
	if !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.eat(']') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// other skips the value of an unknown key, unless encoding/json would
// match the key to one of known case-insensitively (or the key is not
// plain ASCII, where its folding rules are wider).
func (s *scanner) other(key []byte, known []string) (uint64, bool) {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return 0, false
		}
	}
	for _, k := range known {
		if len(k) == len(key) && bytes.EqualFold([]byte(k), key) {
			return 0, false
		}
	}
	return 0, s.skip()
}

// flex takes a flexString's value: a string sets it, any other value is
// ignored (null clears it, as flexString does).
func (s *scanner) flex(f *flexString) bool {
	if s.peek() != '"' {
		*f = ""
		return s.skip()
	}
	v, ok := s.str()
	*f = flexString(v)
	return ok
}

// plainString takes a value for a string field: a string, or null (which
// leaves it as it is).
func (s *scanner) plainString(f *string) bool {
	if s.null() {
		return true
	}
	v, ok := s.str()
	if ok {
		*f = v
	}
	return ok
}

// intField takes a value for an int field: a number, or null.
func (s *scanner) intField(f *int) bool {
	if s.null() {
		return true
	}
	n, ok := s.integer()
	if ok {
		*f = n
	}
	return ok
}

// textValue takes a value read by contentText or argumentsText: a string
// or null; other shapes are left to encoding/json.
func (s *scanner) textValue(text *string, set *bool) bool {
	if s.null() {
		*text, *set = "", true
		return true
	}
	if s.peek() != '"' {
		return false
	}
	v, ok := s.str()
	*text, *set = v, ok
	return ok
}

var usageKeys = []string{"prompt_tokens", "completion_tokens", "total_tokens"}

func (s *scanner) usage(u **usage) bool {
	if s.null() {
		*u = nil
		return true
	}
	v := new(usage)
	*u = v
	return s.object(func(key []byte) (uint64, bool) {
		switch string(key) {
		case "prompt_tokens":
			return 1, s.intField(&v.PromptTokens)
		case "completion_tokens":
			return 2, s.intField(&v.CompletionTokens)
		case "total_tokens":
			return 4, s.intField(&v.TotalTokens)
		}
		return s.other(key, usageKeys)
	})
}
