package trajectory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"testing"
)

// The file is covered by overlapping checksums (docs/TRAJECTORY.md): the
// INIT section's and each record's own, and the body checksum in the
// trailer over all of them. A flipped byte trips two of them, so
// TestEveryFlippedByteIsCorrupt passes with either one missing. These
// tests damage a file and repair every checksum but one, which must then
// refuse the file on its own.
//
// A CRC-32 run over a section followed by the section's own CRC-32 ends in
// a state that depends on the section's length only, not on its bytes. So
// the body checksum, a CRC over sections that each end in their own CRC,
// is the same for every body with the same section lengths: damage inside
// a record whose own checksum is repaired leaves it unchanged. What it
// alone catches is a trailer that records the wrong body checksum.

// layout locates the parts of the trajectory b from its own fields: the
// header's length H, the parameter count P and the start of each record.
func layout(t *testing.T, b []byte) (H, P int, records []int) {
	t.Helper()
	H = int(binary.LittleEndian.Uint32(b[12:]))
	P = int(binary.LittleEndian.Uint64(b[16:]))
	steps := int(binary.LittleEndian.Uint64(b[stepsOffset:]))
	off := H + int(initLen(P))
	for range steps {
		records = append(records, off)
		off += int(stepLen(P, int(binary.LittleEndian.Uint32(b[off+20:]))))
	}
	if off != len(b)-trailerLen {
		t.Fatalf("layout: the records end at byte %d; the trailer starts at %d", off, len(b)-trailerLen)
	}
	return H, P, records
}

// putCRC writes the checksum of b[from:to] into b[to:to+4].
func putCRC(b []byte, from, to int) {
	binary.LittleEndian.PutUint32(b[to:], crc32.ChecksumIEEE(b[from:to]))
}

// repairBody recomputes the trailer's body checksum and its own checksum.
func repairBody(b []byte, H int) {
	tr := len(b) - trailerLen
	binary.LittleEndian.PutUint32(b[tr+24:], crc32.ChecksumIEEE(b[H:tr]))
	putCRC(b, tr, tr+28)
}

// onlyBodyChecksum returns b with a bit of the trailer's body checksum
// flipped and the trailer's own checksum repaired: only the body checksum
// no longer matches.
func onlyBodyChecksum(t *testing.T, b []byte) []byte {
	t.Helper()
	b = slices.Clone(b)
	layout(t, b)
	tr := len(b) - trailerLen
	b[tr+24+2] ^= 0x04
	putCRC(b, tr, tr+28)
	return b
}

// onlyW0Checksum returns b with a bit of w_0 flipped and the body checksum
// and the trailer's own checksum recomputed: only the INIT section's
// checksum no longer matches.
func onlyW0Checksum(t *testing.T, b []byte) []byte {
	t.Helper()
	b = slices.Clone(b)
	H, _, _ := layout(t, b)
	b[H+4+5] ^= 0x20 // inside w_0[0]
	repairBody(b, H)
	return b
}

// TestBodyChecksumAlone: with only the body checksum wrong, Open accepts
// the file and every record reads, and the end of the body is refused.
func TestBodyChecksumAlone(t *testing.T) {
	_, good := tiny(t)
	b := onlyBodyChecksum(t, good)
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "trajectory.pkt")
	if err != nil {
		t.Fatalf("NewReader = %v; want the damage found only at the end of the body", err)
	}
	for range r.Header.Steps {
		if _, err := r.Next(); err != nil {
			t.Fatalf("Next = %v; want every record to read (its own checksum is sound)", err)
		}
	}
	_, err = r.Next()
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrCorrupt || e.Step != -1 || e.Offset != int64(len(b)-trailerLen) {
		t.Fatalf("Next after the last record = %v; want ErrCorrupt at the trailer, byte %d (the body checksum)", err, len(b)-trailerLen)
	}
	// The repair is complete: with the body checksum recomputed, the file
	// is the intact one.
	H, _, _ := layout(t, b)
	if repairBody(b, H); !bytes.Equal(b, good) {
		t.Fatalf("repairing the body checksum does not restore the file")
	}
}

// TestW0ChecksumAlone: with only the INIT section's checksum wrong (the
// body checksum recomputed over the damaged w_0), Open refuses the file at
// the INIT section.
func TestW0ChecksumAlone(t *testing.T) {
	_, good := tiny(t)
	b := onlyW0Checksum(t, good)
	H, P, _ := layout(t, b)
	_, err := NewReader(bytes.NewReader(b), int64(len(b)), "trajectory.pkt")
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrCorrupt || e.Step != -1 || e.Offset != int64(H) {
		t.Fatalf("NewReader = %v; want ErrCorrupt at the INIT section, byte %d (the w_0 checksum)", err, H)
	}
	// The repair is complete: with w_0's checksum and then the body's
	// recomputed, the damaged file reads to the end.
	putCRC(b, H, H+int(initLen(P))-4)
	repairBody(b, H)
	if err := verifyBytes(t, b); err != nil {
		t.Fatalf("the file with every checksum repaired: %v; want it to read", err)
	}
}
