package main

import (
	"fmt"
	"os"

	"parley/internal/sealbox"
)

// CryptoConfig are the encryption settings of the transport (issue 19).
type CryptoConfig struct {
	// RequireTLS sends with REQUIRETLS (RFC 8689) when the smarthost offers
	// it, and holds a confidential room's mail when it does not.
	RequireTLS bool
	// SMTPRequireTLS refuses MAIL before STARTTLS at the SMTP door.
	SMTPRequireTLS bool
	// DataKey seals data at rest (PARLEY_DATA_KEY, or read from
	// DataKeyFile); DataKeyPrevious is the key it replaced, whose values
	// still open until `parley admin rekey`. Both as written: 64 hex
	// digits or base64 of 32 bytes. Never printed or logged.
	DataKey, DataKeyFile, DataKeyPrevious string
}

// dataBox is the Box of the data keys, nil when no data key is set.
func (c CryptoConfig) dataBox() (*sealbox.Box, error) {
	if c.DataKey == "" {
		if c.DataKeyPrevious != "" {
			return nil, fmt.Errorf("PARLEY_DATA_KEY_PREVIOUS is set without PARLEY_DATA_KEY")
		}
		return nil, nil
	}
	cur, err := sealbox.ParseKey(c.DataKey)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_DATA_KEY: %w", err)
	}
	var prev []byte
	if c.DataKeyPrevious != "" {
		if prev, err = sealbox.ParseKey(c.DataKeyPrevious); err != nil {
			return nil, fmt.Errorf("PARLEY_DATA_KEY_PREVIOUS: %w", err)
		}
	}
	return sealbox.New(cur, prev)
}

// loadDataKeyFile reads PARLEY_DATA_KEY_FILE when PARLEY_DATA_KEY is not
// set, and checks the keys, so that a bad key stops every command at once.
func (c *CryptoConfig) loadDataKeyFile() error {
	if c.DataKey == "" && c.DataKeyFile != "" {
		b, err := os.ReadFile(c.DataKeyFile)
		if err != nil {
			return fmt.Errorf("PARLEY_DATA_KEY_FILE: %w", err)
		}
		if _, err := sealbox.ParseKey(string(b)); err != nil {
			return fmt.Errorf("PARLEY_DATA_KEY_FILE %s: %w", c.DataKeyFile, err)
		}
		c.DataKey = string(b)
	}
	_, err := c.dataBox()
	return err
}

// cryptoSettings configure encryption in transit (issue 19). OpenPGP
// itself needs no setting: parley's key is made at the first start.
var cryptoSettings = []setting{
	{env: "PARLEY_REQUIRETLS", key: "requiretls", def: "off",
		desc:  "on: send with SMTP REQUIRETLS (RFC 8689) when the smarthost offers it, and never send a confidential room's mail when it does not (held and retried)",
		apply: func(c *Config, v string) (err error) { c.Crypto.RequireTLS, err = onOff(v); return err },
		show:  func(c *Config) string { return onOffText(c.Crypto.RequireTLS) }},
	{env: "PARLEY_SMTP_REQUIRE_TLS", key: "smtp_require_tls", def: "off",
		desc:  "on: the SMTP door refuses MAIL before STARTTLS (530); needs PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE",
		apply: func(c *Config, v string) (err error) { c.Crypto.SMTPRequireTLS, err = onOff(v); return err },
		show:  func(c *Config) string { return onOffText(c.Crypto.SMTPRequireTLS) }},
	{env: "PARLEY_DATA_KEY", key: "data_key", def: "", secret: true,
		desc: "32-byte key (64 hex digits or base64; openssl rand -hex 32) that seals line texts, quotes, files, user records and profiles, relay subjects, the outbox and held mail at rest with AES-256-GCM; " +
			"serve refuses to start with a key that does not open the data, or without one once data was sealed",
		apply: func(c *Config, v string) error { c.Crypto.DataKey = v; return nil }},
	{env: "PARLEY_DATA_KEY_FILE", key: "data_key_file", def: "",
		desc:  "file holding the data key, used when PARLEY_DATA_KEY is not set",
		apply: func(c *Config, v string) error { c.Crypto.DataKeyFile = v; return nil },
		show:  func(c *Config) string { return c.Crypto.DataKeyFile }},
	{env: "PARLEY_DATA_KEY_PREVIOUS", key: "data_key_previous", def: "", secret: true,
		desc:  "the data key before a rotation: values sealed under it still open until parley admin rekey seals them under PARLEY_DATA_KEY",
		apply: func(c *Config, v string) error { c.Crypto.DataKeyPrevious = v; return nil }},
}

func onOff(v string) (bool, error) {
	switch v {
	case "on":
		return true, nil
	case "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not on or off", v)
}

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
