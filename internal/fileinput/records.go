package fileinput

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Record is one JSON text cut out of a file by RecordReader: a line, or the
// lines of one pretty-printed object.
type Record struct {
	Data        []byte
	First, Last int // line numbers, 1-based
	// Problem, when set, says why Data is not a whole JSON value (cut
	// short, too long, an unbalanced "]"); data may be partial or empty.
	Problem string
}

// Place names the record's lines for errors.
func (r Record) Place() string {
	if r.First == r.Last {
		return fmt.Sprintf("line %d", r.First)
	}
	return fmt.Sprintf("lines %d-%d", r.First, r.Last)
}

// RecordReader cuts a file into JSON records without trusting it to be
// well formed, so that a bad Record costs only itself. It reads
//
//   - one JSON value per line (newline-delimited JSON, what log sinks and
//     asset exports write), also when a line holds a whole array;
//   - objects pretty-printed one after the other, or as the elements of a
//     pretty-printed array (what `gcloud ... --format=json` prints): a line
//     that is only "[" or "]" opens or closes the array, an element ends
//     where its braces balance (its trailing comma is left to the decoder,
//     which reads one value).
//
// An object whose braces do not balance before the next line that starts an
// object at its own indentation or less (or before the end of the file) is
// returned with Problem set ("incomplete"), and reading goes on with that
// next line: a truncated line of a newline-delimited file costs only that
// line.
type RecordReader struct {
	lr      *LineReader
	limit   int
	pending []byte
	start   int // first line of pending
	indent  int // indentation of pending's first line
	depth   int // brace depth at the end of pending
	held    []byte
	heldN   int
	arrays  int // open "[" lines
}

func NewRecordReader(r io.Reader, limit int) *RecordReader {
	return &RecordReader{lr: NewLineReader(r, limit), limit: limit}
}

// Line is the number of the last line read.
func (r *RecordReader) Line() int { return r.lr.Line() }

// Next returns the next record; io.EOF at the end, another error when the
// input cannot be read. rec.Data is valid until the following call.
func (r *RecordReader) Next() (rec Record, err error) {
	for {
		var line []byte
		var n int
		if r.held != nil {
			line, n = r.held, r.heldN
			r.held = nil
		} else {
			l, tooLong, err := r.lr.Next()
			if err == io.EOF {
				if r.pending != nil {
					return r.flush("incomplete: the file ends inside it"), nil
				}
				if r.arrays > 0 {
					r.arrays = 0
					return Record{First: r.lr.Line(), Last: r.lr.Line(), Problem: "the file ends inside an array (no closing \"]\")"}, nil
				}
				return Record{}, io.EOF
			}
			if err != nil {
				return Record{}, err
			}
			n = r.lr.Line()
			if tooLong {
				if r.pending != nil {
					rec = r.flush(fmt.Sprintf("longer than %d bytes", r.limit))
					rec.Last = n
					return rec, nil
				}
				return Record{First: n, Last: n, Problem: fmt.Sprintf("line longer than %d bytes", r.limit)}, nil
			}
			line = l
		}
		trimmed := bytes.TrimSpace(line)
		if r.pending == nil && len(trimmed) > 1 && trimmed[0] == '[' && depthAfter(trimmed, 0) > 0 {
			// "[{" opens an array and its first element on one line.
			k := len(trimmed) - len(bytes.TrimLeft(trimmed, "[ \t"))
			r.arrays += bytes.Count(trimmed[:k], []byte{'['})
			line = line[len(line)-len(trimmed)+k:]
			trimmed = trimmed[k:]
		}
		if r.pending == nil {
			switch {
			case len(trimmed) == 0:
				continue
			case len(trimmed) == 1 && trimmed[0] == '[':
				r.arrays++
				continue
			case trimmed[0] == ']' && len(bytes.TrimRight(trimmed, "],")) == 0:
				r.arrays -= len(bytes.Trim(trimmed, ","))
				if r.arrays < 0 {
					r.arrays = 0
					return Record{First: n, Last: n, Problem: "unexpected \"]\" outside an array"}, nil
				}
				continue
			case trimmed[0] != '{' || trimmed[len(trimmed)-1] == '}':
				// One line: newline-delimited JSON (the common case,
				// not scanned), or something else that the decoder
				// will name.
				return Record{Data: line, First: n, Last: n}, nil
			}
			d := depthAfter(line, 0)
			if d <= 0 {
				// "{...}," in an array, or "{...}]" closing it.
				return r.closeArrays(Record{Data: line, First: n, Last: n}, d), nil
			}
			// The first line of an object that goes on.
			r.pending = append(make([]byte, 0, 2*len(line)+64), line...)
			r.start, r.indent, r.depth = n, len(line)-len(bytes.TrimLeft(line, " \t")), d
			continue
		}
		if ind := len(line) - len(bytes.TrimLeft(line, " \t")); len(trimmed) > 0 && trimmed[0] == '{' && ind <= r.indent {
			// A new object begins: the pending one was cut short.
			r.held, r.heldN = append([]byte(nil), line...), n
			return r.flush("incomplete: its braces do not balance before the next entry"), nil
		}
		r.pending = append(append(r.pending, '\n'), line...)
		r.depth = depthAfter(line, r.depth)
		if r.depth <= 0 {
			rec = Record{Data: r.pending, First: r.start, Last: n}
			r.pending = nil
			return r.closeArrays(rec, r.depth), nil
		}
		if len(r.pending) > r.limit {
			rec = r.flush(fmt.Sprintf("longer than %d bytes", r.limit))
			rec.Last = n
			return rec, nil
		}
	}
}

// closeArrays takes the "]" that close arrays (depth < 0 after the
// Record) off the end of a record.
func (r *RecordReader) closeArrays(rec Record, depth int) Record {
	if depth >= 0 {
		return rec
	}
	end := len(rec.Data)
	for end > 0 && -depth > 0 {
		switch rec.Data[end-1] {
		case ']':
			depth++
			r.arrays--
		case ',', ' ', '\t', '\r':
		default:
			return rec // not a closing bracket: the decoder names it
		}
		end--
	}
	rec.Data = rec.Data[:end]
	r.arrays = max(r.arrays, 0)
	return rec
}

// flush returns the pending lines as a Record with a problem.
func (r *RecordReader) flush(problem string) Record {
	last := r.start + bytes.Count(r.pending, []byte{'\n'})
	rec := Record{Data: r.pending, First: r.start, Last: last, Problem: problem}
	r.pending = nil
	return rec
}

// depthAfter returns the brace and bracket depth after line, starting at
// depth; braces inside strings do not count (a JSON string never spans
// lines).
func depthAfter(line []byte, depth int) int {
	in, esc := false, false
	for _, c := range line {
		switch {
		case esc:
			esc = false
		case in:
			switch c {
			case '\\':
				esc = true
			case '"':
				in = false
			}
		case c == '"':
			in = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth
}

// SplitValues cuts a Record into its JSON values: usually one, several
// when objects follow each other on a line ("{...}{...}", "},  {" between
// the elements of a pretty-printed array), with whitespace and commas
// between them. It stops at the first value that does not decode,
// returning the values before it and the error.
func SplitValues(data []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for {
		data = bytes.TrimLeft(data, " \t\r\n,")
		if len(data) == 0 {
			return out, nil
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out, err
		}
		out = append(out, v)
		data = data[dec.InputOffset():]
	}
}
