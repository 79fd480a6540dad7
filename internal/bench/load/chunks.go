package load

import (
	"fmt"
	"strconv"
	"strings"
)

// ChunkToken is the content of numbered chunk i as the bench upstream
// writes it: "c<i> ". A client that receives the contents in order and
// concatenated sees "c0 c1 c2 ...", whichever way a layer in between
// splits or merges them.
func ChunkToken(i int) string { return "c" + strconv.Itoa(i) + " " }

// AppendChunkToken appends ChunkToken(i) to b without allocating.
func AppendChunkToken(b []byte, i int) []byte {
	b = append(b, 'c')
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, ' ')
}

// Checker verifies that the numbered chunks of one stream arrive complete
// and in order: every token "c<i>" must be followed by "c<i+1>". It
// tolerates a layer that re-splits the text (a token cut in two across
// chunks is joined again) but not one that drops, repeats or reorders a
// chunk.
type Checker struct {
	next    int    // the number the next token must carry
	partial string // an unfinished token carried over from the last Feed
	err     error  // the first problem seen
	// Problems counts tokens that were out of sequence (gaps, repeats,
	// reorderings, garbage).
	Problems int
}

// Feed takes the content of the next chunk.
func (c *Checker) Feed(content string) {
	s := c.partial + content
	c.partial = ""
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			c.partial = s // the rest of this token comes in the next chunk
			return
		}
		tok := s[:i]
		s = s[i+1:]
		if tok == "" {
			continue
		}
		c.token(tok)
	}
}

func (c *Checker) token(tok string) {
	n, err := strconv.Atoi(strings.TrimPrefix(tok, "c"))
	switch {
	case err != nil || len(tok) < 2 || tok[0] != 'c':
		c.fail(fmt.Errorf("chunk %d: unexpected content %q", c.next, tok))
		return
	case n > c.next:
		c.fail(fmt.Errorf("lost chunk(s) %d..%d (next received was %d)", c.next, n-1, n))
	case n < c.next:
		c.fail(fmt.Errorf("chunk %d out of order or repeated (expected %d)", n, c.next))
		return // keep expecting c.next
	}
	c.next = n + 1
}

func (c *Checker) fail(err error) {
	c.Problems++
	if c.err == nil {
		c.err = err
	}
}

// Received is how many in-sequence tokens arrived so far.
func (c *Checker) Received() int { return c.next }

// Finish checks the stream ended with exactly want chunks (want < 0: any
// number) and returns the first problem seen, or nil.
func (c *Checker) Finish(want int) error {
	if c.partial != "" {
		c.token(c.partial)
		c.partial = ""
	}
	if c.err == nil && want >= 0 && c.next != want {
		why := "lost the tail"
		if c.next > want {
			why = "extra chunks"
		}
		c.fail(fmt.Errorf("stream ended after %d chunks, want %d (%s)", c.next, want, why))
	}
	return c.err
}
