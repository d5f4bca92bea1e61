// Package sealboxtest helps tests of data sealed at rest: boxes on fixed
// keys, and every byte a folder holds, to look for plaintext in.
package sealboxtest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"parley/internal/sealbox"
)

// Box is a Box whose current key is 32 bytes of cur and whose previous
// key is 32 bytes of prev (none when prev is 0).
func Box(t testing.TB, cur, prev byte) *sealbox.Box {
	t.Helper()
	var p []byte
	if prev != 0 {
		p = bytes.Repeat([]byte{prev}, sealbox.KeySize)
	}
	b, err := sealbox.New(bytes.Repeat([]byte{cur}, sealbox.KeySize), p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// DirBytes returns every byte of every file under dir, joined.
func DirBytes(t testing.TB, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
