package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// demoDataKey gives a demo on the embedded store a data key of its own,
// so that it shows data sealed at rest: a random key in a file only this
// user can read, which other terminals name with PARLEY_DATA_KEY_FILE
// (the key itself is never printed). The returned function removes it.
// On a shared Redis only PARLEY_DATA_KEY seals: a key made here would
// lock the next run out of the data.
func demoDataKey(cfg *Config) (func(), error) {
	if !cfg.Embedded() || cfg.Crypto.DataKey != "" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "parley-demo-key-")
	if err != nil {
		return nil, fmt.Errorf("demo data key: %w", err)
	}
	key := randomSecret() // 32 random bytes, in hex
	path := filepath.Join(dir, "data.key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("demo data key: %w", err)
	}
	cfg.Crypto.DataKey, cfg.Crypto.DataKeyFile = key, path
	return func() { _ = os.RemoveAll(dir) }, nil
}
