package hclspec

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Why files are parsed in pieces
//
// HCL's lexer appends every token of a file to one slice. A token is 96
// bytes, so a 50 KB file of models makes a 1.7 MB slice, grown 1.25x at a
// time: about 8 MB of short-lived large allocations per file, each on pages
// the process has never touched. On a small VM a first touch costs far more
// than the lexing itself, and that growth was most of the time `dmplan plan`
// spent on a few hundred models. Parsed one top-level block at a time, the
// slices stay small and their memory is reused, and a big file spreads over
// all CPUs.
//
// The cut points are found by splitTopLevel, a small scanner that knows
// comments, quoted strings and their ${ } and %{ } sequences, and brackets.
// It cuts only after a line whose last token closes a top-level block, where
// HCL itself ends a body item, and gives up (the file is parsed whole) on
// anything it does not model: heredocs, unbalanced brackets, an unterminated
// string or comment. Each piece is parsed with its true start position, so
// ranges are those of the whole file; the tests and a fuzz target compare
// the trees. A file whose pieces hold a syntax error or a top-level
// argument is parsed again whole (see needsWhole), so its diagnostics are
// exactly the whole file's too.

// minPiece is the size a piece grows to before the scanner cuts it. Smaller
// pieces cost a parser set-up each; larger ones bring back the big slices.
// Files under twice this size are parsed whole.
const minPiece = 1 << 10

// splitTopLevel returns the offsets at which src may be cut into pieces
// that parse, each on its own, to the same top-level blocks and attributes
// as src as a whole: each offset is just after a newline that ends a line
// whose last token closed a block at depth zero. It returns nil when src is
// too small to be worth cutting or holds something the scanner does not
// model.
func splitTopLevel(src []byte, minPiece int) []int {
	if len(src) < 2*minPiece {
		return nil
	}
	var cuts []int
	// frames is the stack of nested contexts: code frames count brackets,
	// string frames are quoted template strings. The bottom frame is the
	// file's top level.
	type frame struct {
		str   bool
		depth int
	}
	frames := []frame{{}}
	last := 0
	// closed is set after a '}' that brought the top level back to depth
	// zero, and stays set through blanks and comments up to the newline.
	closed := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		top := &frames[len(frames)-1]
		if top.str {
			switch c {
			case '\\':
				i++ // the escaped byte; \u sequences are plain letters after it
			case '"':
				frames = frames[:len(frames)-1]
			case '\n':
				return nil // unterminated string
			case '$', '%':
				if i+1 < len(src) && src[i+1] == c && i+2 < len(src) && src[i+2] == '{' {
					i += 2 // $${ and %%{ are literal
				} else if i+1 < len(src) && src[i+1] == '{' {
					i++
					frames = append(frames, frame{})
				}
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r':
			continue
		case '\n':
			if closed && len(frames) == 1 && i+1-last >= minPiece && i+1 < len(src) {
				cuts = append(cuts, i+1)
				last = i + 1
			}
			closed = false
			continue
		case '#':
			i = lineCommentEnd(src, i)
			if i < len(src) {
				i-- // let the newline be seen above
			}
			continue
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = lineCommentEnd(src, i)
				if i < len(src) {
					i--
				}
				continue
			}
			if i+1 < len(src) && src[i+1] == '*' {
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return nil
				}
				// A block comment over several lines is a newline to HCL's
				// parser only where it ends a line; keep it simple and let
				// a cut wait for the next plain newline.
				if bytes.IndexByte(src[i:i+2+end], '\n') >= 0 {
					closed = false
				}
				i += 2 + end + 1
				continue
			}
		case '"':
			frames = append(frames, frame{str: true})
		case '<':
			if i+1 < len(src) && src[i+1] == '<' {
				return nil // a heredoc, or a shift HCL does not have
			}
		case '{', '[', '(':
			top.depth++
		case '}', ']', ')':
			top.depth--
			if top.depth < 0 {
				if len(frames) == 1 || c != '}' {
					return nil // unbalanced
				}
				frames = frames[:len(frames)-1] // the end of a ${ } or %{ }
				continue
			}
			if c == '}' && len(frames) == 1 && top.depth == 0 {
				closed = true
				continue
			}
		}
		closed = false
	}
	if len(frames) != 1 || frames[0].depth != 0 {
		return nil
	}
	return cuts
}

// lineCommentEnd returns the offset of the newline that ends the line
// comment starting at i, or len(src).
func lineCommentEnd(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// filePieces is one configuration file on its way through the parser: its
// pieces (one, the whole file, when splitTopLevel found no cut points), each
// parsed on its own, possibly in parallel with pieces of other files.
type filePieces struct {
	name   string
	src    []byte
	pieces []piece
}

// piece is one part of a file and the outcome of parsing it.
type piece struct {
	start hcl.Pos
	end   int
	file  *hcl.File
	diags hcl.Diagnostics
	whole bool // a syntax error or a top-level argument: see needsWhole
}

func newFilePieces(name string, src []byte, minPiece int) *filePieces {
	cuts := splitTopLevel(src, minPiece)
	f := &filePieces{name: name, src: src, pieces: make([]piece, len(cuts)+1)}
	pos := hcl.InitialPos
	prev := 0
	for i := range f.pieces {
		end := len(src)
		if i < len(cuts) {
			end = cuts[i]
		}
		f.pieces[i].start, f.pieces[i].end = pos, end
		pos = hcl.Pos{Line: pos.Line + bytes.Count(src[prev:end], []byte{'\n'}), Column: 1, Byte: end}
		prev = end
	}
	return f
}

// parse parses piece i and notes whether the file must be parsed whole
// after all (see needsWhole).
func (f *filePieces) parse(i int) {
	p := &f.pieces[i]
	p.file, p.diags = hclsyntax.ParseConfig(f.src[p.start.Byte:p.end], f.name, p.start)
	body, ok := p.file.Body.(*hclsyntax.Body)
	p.whole = p.diags.HasErrors() || !ok || len(body.Attributes) > 0
}

// needsWhole reports whether a file cut in pieces must be parsed again as
// one: when a piece has a syntax error, HCL's recovery from it (it skips
// to the end of what it parses) would differ from the whole file's, and
// top-level arguments (never valid) are checked for repeats across the
// whole body. Both are mistakes, so the slower path costs only a file
// that is already wrong, and its diagnostics are exactly the whole
// file's.
func (f *filePieces) needsWhole() bool {
	if len(f.pieces) == 1 {
		return false
	}
	for _, p := range f.pieces {
		if p.whole {
			return true
		}
	}
	return false
}
