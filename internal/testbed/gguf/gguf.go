// Package gguf writes and inspects GGUF v3 files, and generates a small,
// deterministic llama-architecture model for Roundhouse's real test bed.
//
// The encoding follows the GGUF v3 layout used by ggml/llama.cpp:
//
//	header:       "GGUF" | uint32 version=3 | uint64 tensor_count | uint64 kv_count
//	kv pairs:     string key | uint32 value_type | value
//	tensor infos: string name | uint32 n_dims | uint64 dims[n_dims] | uint32 ggml_type | uint64 offset
//	padding to general.alignment (default 32), then tensor data, each tensor
//	starting at a multiple of the alignment relative to the data section.
//
// Strings are uint64 length + bytes (no terminator); arrays are uint32
// element type + uint64 length + elements. Everything is little-endian.
package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// Version is the GGUF version this package writes.
const Version = 3

// DefaultAlignment is the tensor data alignment when general.alignment is absent.
const DefaultAlignment = 32

// ValueType is a GGUF metadata value type.
type ValueType uint32

// GGUF metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// GGMLTypeF32 is the ggml tensor type id for 32-bit floats (the only tensor
// type this package writes).
const GGMLTypeF32 = 0

// KV is one metadata pair. Value must be one of: uint8, int8, uint16, int16,
// uint32, int32, uint64, int64, float32, float64, bool, string, or a slice of
// one of those (written as a GGUF array).
type KV struct {
	Key   string
	Value any
}

// Tensor is an F32 tensor. Dims are in ggml order (ne[0] first, the
// contiguous dimension). Fill is called once, while writing, with a slice of
// exactly NumElements() values to populate; this keeps large models streaming.
type Tensor struct {
	Name string
	Dims []uint64
	Fill func(dst []float32)
}

// NumElements is the product of the dimensions.
func (t Tensor) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// Write encodes a GGUF v3 file with the given metadata and F32 tensors.
// If kvs contains general.alignment (uint32) it is honoured, otherwise the
// default of 32 bytes is used. Output is a pure function of the inputs.
func Write(w io.Writer, kvs []KV, tensors []Tensor) error {
	alignment := uint64(DefaultAlignment)
	for _, kv := range kvs {
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a%8 != 0 {
				return fmt.Errorf("gguf: general.alignment must be a non-zero uint32 multiple of 8, got %v", kv.Value)
			}
			alignment = uint64(a)
		}
	}

	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	e := &encoder{w: cw}
	e.raw([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	seen := make(map[string]bool, len(kvs))
	for _, kv := range kvs {
		if seen[kv.Key] {
			return fmt.Errorf("gguf: duplicate key %q", kv.Key)
		}
		seen[kv.Key] = true
		e.str(kv.Key)
		if err := e.value(kv.Value); err != nil {
			return fmt.Errorf("gguf: key %q: %w", kv.Key, err)
		}
	}
	var offset uint64
	for _, t := range tensors {
		if len(t.Dims) == 0 || len(t.Dims) > 4 {
			return fmt.Errorf("gguf: tensor %q: %d dims (want 1..4)", t.Name, len(t.Dims))
		}
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(GGMLTypeF32)
		e.u64(offset)
		offset = align(offset+4*t.NumElements(), alignment)
	}
	e.pad(alignment)

	var buf []float32
	var bytes []byte
	for _, t := range tensors {
		n := t.NumElements()
		if uint64(cap(buf)) < n {
			buf = make([]float32, n)
			bytes = make([]byte, 4*n)
		}
		buf = buf[:n]
		clear(buf)
		if t.Fill != nil {
			t.Fill(buf)
		}
		b := bytes[:4*n]
		for i, f := range buf {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		}
		e.raw(b)
		e.pad(alignment)
	}
	if e.err != nil {
		return e.err
	}
	return cw.w.(*bufio.Writer).Flush()
}

type countWriter struct {
	w io.Writer
	n uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

type encoder struct {
	w   *countWriter
	err error
	b   [8]byte
}

func (e *encoder) raw(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}
func (e *encoder) u8(v uint8) { e.raw([]byte{v}) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.b[:], v)
	e.raw(e.b[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.b[:], v)
	e.raw(e.b[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.b[:], v)
	e.raw(e.b[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}
func (e *encoder) pad(a uint64) {
	if r := e.w.n % a; r != 0 {
		e.raw(make([]byte, a-r))
	}
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// value writes the type tag and the value.
func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case uint8:
		e.u32(uint32(TypeUint8))
		e.u8(x)
	case int8:
		e.u32(uint32(TypeInt8))
		e.u8(uint8(x))
	case uint16:
		e.u32(uint32(TypeUint16))
		e.u16(x)
	case int16:
		e.u32(uint32(TypeInt16))
		e.u16(uint16(x))
	case uint32:
		e.u32(uint32(TypeUint32))
		e.u32(x)
	case int32:
		e.u32(uint32(TypeInt32))
		e.u32(uint32(x))
	case uint64:
		e.u32(uint32(TypeUint64))
		e.u64(x)
	case int64:
		e.u32(uint32(TypeInt64))
		e.u64(uint64(x))
	case float32:
		e.u32(uint32(TypeFloat32))
		e.u32(math.Float32bits(x))
	case float64:
		e.u32(uint32(TypeFloat64))
		e.u64(math.Float64bits(x))
	case bool:
		e.u32(uint32(TypeBool))
		e.u8(boolByte(x))
	case string:
		e.u32(uint32(TypeString))
		e.str(x)
	case []string:
		e.arrayHeader(TypeString, len(x))
		for _, s := range x {
			e.str(s)
		}
	case []float32:
		e.arrayHeader(TypeFloat32, len(x))
		for _, f := range x {
			e.u32(math.Float32bits(f))
		}
	case []int32:
		e.arrayHeader(TypeInt32, len(x))
		for _, i := range x {
			e.u32(uint32(i))
		}
	case []uint32:
		e.arrayHeader(TypeUint32, len(x))
		for _, i := range x {
			e.u32(i)
		}
	case []bool:
		e.arrayHeader(TypeBool, len(x))
		for _, b := range x {
			e.u8(boolByte(b))
		}
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	return nil
}

func (e *encoder) arrayHeader(t ValueType, n int) {
	e.u32(uint32(TypeArray))
	e.u32(uint32(t))
	e.u64(uint64(n))
}

// Header is the fixed-size start of a GGUF file.
type Header struct {
	Magic       string
	Version     uint32
	TensorCount uint64
	KVCount     uint64
}

// TensorInfo describes one tensor as recorded in a GGUF file.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   uint32
	Offset uint64
}

// File is the parsed metadata part of a GGUF file (tensor data is not read).
type File struct {
	Header
	// KV maps keys to decoded values: scalars as the Go type matching the
	// GGUF type, arrays as []any.
	KV map[string]any
	// Keys preserves the on-disk order of KV.
	Keys    []string
	Tensors []TensorInfo
	// DataOffset is the absolute file offset of the tensor data section.
	DataOffset uint64
}

// ErrNotGGUF is returned when the magic bytes are wrong.
var ErrNotGGUF = errors.New("gguf: bad magic (not a GGUF file)")

// Sanity limits so a corrupt file cannot make the parser allocate wildly.
const (
	maxStringLen = 1 << 26
	maxArrayLen  = 1 << 24
	maxCount     = 1 << 20
)

// Read parses the header, metadata and tensor infos of a GGUF v2/v3 file.
func Read(r io.Reader) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16)}
	var magic [4]byte
	d.read(magic[:])
	if d.err != nil {
		return nil, fmt.Errorf("gguf: reading header: %w", d.err)
	}
	if string(magic[:]) != Magic {
		return nil, ErrNotGGUF
	}
	f := &File{Header: Header{Magic: string(magic[:])}, KV: map[string]any{}}
	f.Version = d.u32()
	if d.err == nil && f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("gguf: unsupported version %d", f.Version)
	}
	f.TensorCount = d.u64()
	f.KVCount = d.u64()
	if d.err != nil {
		return nil, fmt.Errorf("gguf: reading header: %w", d.err)
	}
	if f.TensorCount > maxCount || f.KVCount > maxCount {
		return nil, fmt.Errorf("gguf: implausible counts (tensors %d, kv %d)", f.TensorCount, f.KVCount)
	}
	for i := uint64(0); i < f.KVCount && d.err == nil; i++ {
		k := d.str()
		t := ValueType(d.u32())
		v := d.value(t)
		if d.err == nil {
			f.KV[k] = v
			f.Keys = append(f.Keys, k)
		}
	}
	for i := uint64(0); i < f.TensorCount && d.err == nil; i++ {
		var ti TensorInfo
		ti.Name = d.str()
		n := d.u32()
		if n > 4 {
			d.fail(fmt.Errorf("tensor %q has %d dims", ti.Name, n))
			break
		}
		for j := uint32(0); j < n; j++ {
			ti.Dims = append(ti.Dims, d.u64())
		}
		ti.Type = d.u32()
		ti.Offset = d.u64()
		f.Tensors = append(f.Tensors, ti)
	}
	if d.err != nil {
		return nil, fmt.Errorf("gguf: %w", d.err)
	}
	a := uint64(DefaultAlignment)
	if v, ok := f.KV["general.alignment"].(uint32); ok && v > 0 {
		a = uint64(v)
	}
	f.DataOffset = align(d.n, a)
	return f, nil
}

type decoder struct {
	r   *bufio.Reader
	n   uint64
	err error
	b   [8]byte
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) read(p []byte) {
	if d.err != nil {
		return
	}
	n, err := io.ReadFull(d.r, p)
	d.n += uint64(n)
	if err != nil {
		d.fail(err)
	}
}

func (d *decoder) u8() uint8 {
	d.read(d.b[:1])
	return d.b[0]
}
func (d *decoder) u16() uint16 {
	d.read(d.b[:2])
	return binary.LittleEndian.Uint16(d.b[:2])
}
func (d *decoder) u32() uint32 {
	d.read(d.b[:4])
	return binary.LittleEndian.Uint32(d.b[:4])
}
func (d *decoder) u64() uint64 {
	d.read(d.b[:8])
	return binary.LittleEndian.Uint64(d.b[:8])
}
func (d *decoder) str() string {
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > maxStringLen {
		d.fail(fmt.Errorf("string of %d bytes", n))
		return ""
	}
	p := make([]byte, n)
	d.read(p)
	return string(p)
}

func (d *decoder) value(t ValueType) any {
	switch t {
	case TypeUint8:
		return d.u8()
	case TypeInt8:
		return int8(d.u8())
	case TypeUint16:
		return d.u16()
	case TypeInt16:
		return int16(d.u16())
	case TypeUint32:
		return d.u32()
	case TypeInt32:
		return int32(d.u32())
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	case TypeFloat32:
		return math.Float32frombits(d.u32())
	case TypeFloat64:
		return math.Float64frombits(d.u64())
	case TypeBool:
		return d.u8() != 0
	case TypeString:
		return d.str()
	case TypeArray:
		et := ValueType(d.u32())
		n := d.u64()
		if d.err != nil {
			return nil
		}
		if et == TypeArray || n > maxArrayLen {
			d.fail(fmt.Errorf("unsupported array (type %d, len %d)", et, n))
			return nil
		}
		out := make([]any, 0, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			out = append(out, d.value(et))
		}
		return out
	default:
		d.fail(fmt.Errorf("unknown value type %d", t))
		return nil
	}
}
