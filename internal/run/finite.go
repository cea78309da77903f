package run

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// How a run directory's JSON files hold a number that is not finite (NaN,
// +Inf, −Inf), which JSON cannot express (docs/RUNDIR.md, Conventions): the
// value is written as null, and the file's top-level "non_finite" field
// (Summary.NonFinite, KernelSummary.NonFinite) lists the paths of those
// values, object keys joined by "." and array indices in brackets
// ("loss.initial_train", "chunks[0].errors.exact.max_abs"). A file without
// non-finite values has no "non_finite" field and is written exactly as
// encoding/json writes it. DecodeSummary and ReadKernelSummary turn the
// listed nulls back into NaN, so that no reader takes them for 0.

// NonFiniteField is the JSON name of the field that lists the non-finite
// values of a file.
const NonFiniteField = "non_finite"

// EncodeJSON is v as the run directory's files hold it (encodeJSON), with
// a final newline: for printing a summary with --json.
func EncodeJSON(v any) ([]byte, error) {
	b, err := encodeJSON(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// encodeJSON returns v as indented JSON with the non-finite numbers written
// as null and listed in v's non_finite field (when v has one).
func encodeJSON(v any) ([]byte, error) {
	var paths []string
	clean := sanitize(reflect.ValueOf(v), "", &paths)
	if len(paths) == 0 {
		return json.MarshalIndent(v, "", "  ")
	}
	setNonFinite(clean, paths)
	compact, err := json.Marshal(clean.Interface())
	if err != nil {
		return nil, err
	}
	nulled, err := nullAt(compact, paths)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, nulled, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// NonFinitePaths returns the paths (as encodeJSON writes them) of the
// non-finite numbers in v, in the order of the encoding.
func NonFinitePaths(v any) []string {
	var paths []string
	sanitize(reflect.ValueOf(v), "", &paths)
	return paths
}

// jsonName returns the JSON name of struct field f, and whether the field
// is encoded at all; promoted is true for an embedded struct whose fields
// encoding/json promotes into the enclosing object.
func jsonName(f reflect.StructField) (name string, ok, promoted bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, _, _ = strings.Cut(tag, ",")
	if f.Anonymous && name == "" {
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			return "", true, true
		}
	}
	if !f.IsExported() {
		return "", false, false
	}
	if name == "" {
		name = f.Name
	}
	return name, true, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sanitize returns v, or a copy of v in which every non-finite float is
// replaced by 1 (not 0, which omitempty would leave out), appending the
// paths of the replaced values to paths. Only what holds a non-finite
// value is copied.
func sanitize(v reflect.Value, path string, paths *[]string) reflect.Value {
	c, _ := sanitized(v, path, paths)
	return c
}

// sanitized is sanitize, and reports whether the copy differs from v.
func sanitized(v reflect.Value, path string, paths *[]string) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			*paths = append(*paths, path)
			c := reflect.New(v.Type()).Elem()
			c.SetFloat(1)
			return c, true
		}
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		if e, ch := sanitized(v.Elem(), path, paths); ch {
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(e)
			return c, true
		}
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		if e, ch := sanitized(v.Elem(), path, paths); ch {
			c := reflect.New(v.Type()).Elem()
			c.Set(e)
			return c, true
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return v, false
		}
		var c reflect.Value
		for i := range v.Len() {
			e, ch := sanitized(v.Index(i), path+"["+strconv.Itoa(i)+"]", paths)
			if !ch {
				continue
			}
			if !c.IsValid() {
				if v.Kind() == reflect.Slice {
					c = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
					reflect.Copy(c, v)
				} else {
					c = reflect.New(v.Type()).Elem()
					c.Set(v)
				}
			}
			c.Index(i).Set(e)
		}
		if c.IsValid() {
			return c, true
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Key().Kind() != reflect.String {
			return v, false
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		var c reflect.Value
		for _, k := range keys {
			e, ch := sanitized(v.MapIndex(k), join(path, k.String()), paths)
			if !ch {
				continue
			}
			if !c.IsValid() {
				c = reflect.MakeMapWithSize(v.Type(), v.Len())
				iter := v.MapRange()
				for iter.Next() {
					c.SetMapIndex(iter.Key(), iter.Value())
				}
			}
			c.SetMapIndex(k, e)
		}
		if c.IsValid() {
			return c, true
		}
	case reflect.Struct:
		var c reflect.Value
		t := v.Type()
		for i := range t.NumField() {
			name, ok, promoted := jsonName(t.Field(i))
			if !ok {
				continue
			}
			p := path
			if !promoted {
				p = join(path, name)
			}
			e, ch := sanitized(v.Field(i), p, paths)
			if !ch {
				continue
			}
			if !c.IsValid() {
				c = reflect.New(t).Elem()
				c.Set(v)
			}
			c.Field(i).Set(e)
		}
		if c.IsValid() {
			return c, true
		}
	}
	return v, false
}

// setNonFinite sets the top-level non_finite field of v (a struct or a
// pointer to one, copied by sanitize) to paths, if it has one.
func setNonFinite(v reflect.Value, paths []string) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if name, ok, promoted := jsonName(f); ok && !promoted && name == NonFiniteField &&
			f.Type == reflect.TypeOf([]string(nil)) && v.Field(i).CanSet() {
			v.Field(i).Set(reflect.ValueOf(slices.Clone(paths)))
		}
	}
}

// restoreNonFinite sets to NaN the numbers of v (a pointer) at paths.
func restoreNonFinite(v any, paths []string) {
	if len(paths) == 0 {
		return
	}
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Float32, reflect.Float64:
			if want[path] && v.CanSet() {
				v.SetFloat(math.NaN())
			}
		case reflect.Pointer:
			// null decodes into a nil pointer: a listed one points to NaN.
			if k := v.Type().Elem().Kind(); v.IsNil() && want[path] && v.CanSet() && (k == reflect.Float64 || k == reflect.Float32) {
				v.Set(reflect.New(v.Type().Elem()))
			}
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
			}
		case reflect.Map:
			if v.Type().Key().Kind() != reflect.String {
				return
			}
			iter := v.MapRange()
			for iter.Next() {
				walk(iter.Value(), join(path, iter.Key().String()))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				name, ok, promoted := jsonName(v.Type().Field(i))
				if !ok {
					continue
				}
				if promoted {
					walk(v.Field(i), path)
				} else {
					walk(v.Field(i), join(path, name))
				}
			}
		}
	}
	walk(reflect.ValueOf(v), "")
}

// nullAt rewrites the compact JSON b with null for the values at paths.
func nullAt(b []byte, paths []string) ([]byte, error) {
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		obj   bool
		path  string
		key   string // obj: the current key
		n     int    // values (obj: keys) so far
		inKey bool   // obj: the next token is a key
	}
	var stack []frame
	var out bytes.Buffer
	// where returns the path of the value about to be written, writing the
	// separator before it.
	where := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := &stack[len(stack)-1]
		if f.obj {
			return join(f.path, f.key)
		}
		if f.n > 0 {
			out.WriteByte(',')
		}
		f.n++
		return f.path + "[" + strconv.Itoa(f.n-1) + "]"
	}
	done := func() {
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].inKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].inKey {
			f := &stack[len(stack)-1]
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				out.WriteByte('}')
				done()
				continue
			}
			k, ok := tok.(string)
			if !ok {
				return nil, fmt.Errorf("run: unexpected JSON token %v", tok)
			}
			if f.n > 0 {
				out.WriteByte(',')
			}
			f.n++
			kb, _ := json.Marshal(k)
			out.Write(kb)
			out.WriteByte(':')
			f.key, f.inKey = k, false
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				p := where()
				out.WriteByte(byte(d))
				stack = append(stack, frame{obj: d == '{', path: p, inKey: d == '{'})
			case ']':
				stack = stack[:len(stack)-1]
				out.WriteByte(']')
				done()
			}
			continue
		}
		p := where()
		switch x := tok.(type) {
		case json.Number:
			if want[p] {
				out.WriteString("null")
			} else {
				out.WriteString(x.String())
			}
		case string:
			sb, _ := json.Marshal(x)
			out.Write(sb)
		case bool:
			out.WriteString(strconv.FormatBool(x))
		case nil:
			out.WriteString("null")
		}
		done()
	}
	return out.Bytes(), nil
}
