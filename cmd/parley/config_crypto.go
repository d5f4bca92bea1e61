package main

import "fmt"

// CryptoConfig are the encryption settings of the transport (issue 19).
type CryptoConfig struct {
	// RequireTLS sends with REQUIRETLS (RFC 8689) when the smarthost offers
	// it, and holds a confidential room's mail when it does not.
	RequireTLS bool
	// SMTPRequireTLS refuses MAIL before STARTTLS at the SMTP door.
	SMTPRequireTLS bool
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
