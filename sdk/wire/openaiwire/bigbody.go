package openaiwire

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// spliceMin is the size from which a string (or image) in a request body
// is kept out of encoding/json and written straight into the final body.
//
// Why: json.Marshal builds the body in a growing buffer (about twice the
// body in allocations), copies it out (once more), and keeps the grown
// buffer in its pool; the merge of Extra decodes and re-encodes the whole
// body again. A 31 MiB prompt cost ~4 copies of itself per request, and
// ten such requests at once took the plugin to ~2 GB. With splicing, the
// body is marshalled as a small skeleton holding placeholders, and the
// big values are escaped once into a body buffer of the exact final size.
const spliceMin = 64 << 10

// bodySlots collects the big values of one request body.
type bodySlots struct {
	marker string // `"\u0000rh-slot:<nonce>:` as it appears in the skeleton
	vals   []slotVal
}

// slotVal is one big value: a string to escape, or an image written as a
// base64 data: URL.
type slotVal struct {
	text  string
	image []byte
	mime  string
}

func (s *bodySlots) placeholder(v slotVal) string {
	if s.marker == "" {
		// A random nonce: nothing a caller sends in another field can
		// look like a placeholder.
		var n [8]byte
		_, _ = rand.Read(n[:])
		s.marker = hex.EncodeToString(n[:])
	}
	s.vals = append(s.vals, v)
	// json.Marshal writes the NUL as \u0000, which the skeleton scan
	// below looks for.
	return "\x00rh-slot:" + s.marker + ":" + strconv.Itoa(len(s.vals)-1) + "\x00"
}

// text returns v, or a placeholder for it when it is big.
func (s *bodySlots) text(v string) string {
	if s == nil || len(v) < spliceMin {
		return v
	}
	return s.placeholder(slotVal{text: v})
}

// image returns the data: URL of img, or a placeholder for it when big.
func (s *bodySlots) image(img []byte) string {
	if s == nil || len(img) < spliceMin {
		return dataURL(img)
	}
	return s.placeholder(slotVal{image: img, mime: sniffImageMIME(img)})
}

func (v *slotVal) encodedLen() int {
	if v.image != nil {
		return len(`"data:`) + len(v.mime) + len(";base64,") + base64.StdEncoding.EncodedLen(len(v.image)) + 1
	}
	return jsonStringLen(v.text)
}

func (v *slotVal) appendTo(dst []byte) []byte {
	if v.image == nil {
		return appendJSONString(dst, v.text)
	}
	dst = append(dst, `"data:`...)
	dst = append(dst, v.mime...)
	dst = append(dst, ";base64,"...)
	n := len(dst)
	dst = dst[:n+base64.StdEncoding.EncodedLen(len(v.image))]
	base64.StdEncoding.Encode(dst[n:], v.image)
	return append(dst, '"')
}

// splice replaces the placeholders in skeleton with their values, in one
// buffer of the exact final size. Without slots it returns skeleton.
func (s *bodySlots) splice(skeleton []byte) []byte {
	if s == nil || len(s.vals) == 0 {
		return skeleton
	}
	prefix := []byte(`"\u0000rh-slot:` + s.marker + ":")
	type hit struct{ start, end, idx int }
	var hits []hit
	size := len(skeleton)
	for off := 0; ; {
		i := bytes.Index(skeleton[off:], prefix)
		if i < 0 {
			break
		}
		start := off + i
		rest := skeleton[start+len(prefix):]
		j := bytes.Index(rest, []byte(`\u0000"`))
		idx, err := strconv.Atoi(string(rest[:max(j, 0)]))
		if j < 0 || err != nil || idx < 0 || idx >= len(s.vals) {
			off = start + len(prefix)
			continue
		}
		end := start + len(prefix) + j + len(`\u0000"`)
		hits = append(hits, hit{start, end, idx})
		size += s.vals[idx].encodedLen() - (end - start)
		off = end
	}
	out := make([]byte, 0, size)
	prev := 0
	for _, h := range hits {
		out = append(out, skeleton[prev:h.start]...)
		out = s.vals[h.idx].appendTo(out)
		prev = h.end
	}
	out = append(out, skeleton[prev:]...)
	// Drop the references: the values belong to the caller's request.
	s.vals = nil
	return out
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// does with HTML escaping off (the API is not a web page): quote,
// backslash and control characters escaped, invalid UTF-8 as U+FFFD,
// U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonStringLen is len(appendJSONString(nil, s)) without building it.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			switch {
			case b >= 0x20 && b != '"' && b != '\\':
				n++
			case b == '\\' || b == '"' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
