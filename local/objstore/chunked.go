package objstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits the aws-chunked decoder applies to framing lines.
const (
	maxChunkLine    = 4096
	maxTrailerBytes = 16 << 10
	maxTrailers     = 16
)

// errMalformedChunk reports a body that does not follow the aws-chunked framing.
var errMalformedChunk = errors.New("malformed aws-chunked body")

// chunkedReader decodes an aws-chunked request body: a sequence of
// "<hex size>[;extensions]\r\n<data>\r\n" chunks ended by a zero-size chunk,
// optional "name:value\r\n" trailers and a final "\r\n". Chunk signatures and
// other extensions are skipped; signatures are not checked. After Read returns
// io.EOF, Trailers holds the trailers by lower-case name.
type chunkedReader struct {
	r        *bufio.Reader
	left     int64 // bytes left in the current chunk
	done     bool
	err      error
	Trailers map[string]string
}

func newChunkedReader(r io.Reader) *chunkedReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	return &chunkedReader{r: br}
}

// Read implements io.Reader.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		if c.left > 0 {
			if int64(len(p)) > c.left {
				p = p[:c.left]
			}
			n, err := c.r.Read(p)
			c.left -= int64(n)
			if c.left == 0 {
				if e := c.expectCRLF(); e != nil {
					c.err = e
				}
			}
			if err != nil {
				if err == io.EOF {
					err = fmt.Errorf("%w: body ends inside a chunk", errMalformedChunk)
				}
				c.err = err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		size, err := c.chunkHeader()
		if err != nil {
			c.err = err
			continue
		}
		if size == 0 {
			if err := c.readTrailers(); err != nil {
				c.err = err
				continue
			}
			c.done = true
			continue
		}
		c.left = size
	}
}

func (c *chunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil || b != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk data not followed by CRLF", errMalformedChunk)
	}
	return nil
}

// readLine returns one CRLF-terminated line without its terminator. At EOF with
// nothing read it returns io.EOF.
func (c *chunkedReader) readLine(limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > limit {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errMalformedChunk, limit)
		}
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: unterminated line", errMalformedChunk)
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return line, nil
}

func (c *chunkedReader) chunkHeader() (int64, error) {
	line, err := c.readLine(maxChunkLine)
	if err == io.EOF {
		return 0, fmt.Errorf("%w: missing final chunk", errMalformedChunk)
	}
	if err != nil {
		return 0, err
	}
	hexSize, _, _ := bytes.Cut(line, []byte{';'})
	hexSize = bytes.TrimSpace(hexSize)
	if len(hexSize) == 0 || len(hexSize) > 15 {
		return 0, fmt.Errorf("%w: bad chunk size %q", errMalformedChunk, hexSize)
	}
	size, err := strconv.ParseInt(string(hexSize), 16, 64)
	if err != nil || size < 0 {
		return 0, fmt.Errorf("%w: bad chunk size %q", errMalformedChunk, hexSize)
	}
	return size, nil
}

func (c *chunkedReader) readTrailers() error {
	total := 0
	for {
		line, err := c.readLine(maxTrailerBytes)
		if err == io.EOF {
			return nil // some clients omit the final CRLF
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		total += len(line)
		if total > maxTrailerBytes || len(c.Trailers) >= maxTrailers {
			return fmt.Errorf("%w: trailers too large", errMalformedChunk)
		}
		name, value, ok := strings.Cut(string(line), ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("%w: bad trailer line %q", errMalformedChunk, line)
		}
		if c.Trailers == nil {
			c.Trailers = map[string]string{}
		}
		c.Trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
}
