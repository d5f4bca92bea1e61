package main

import (
	"strings"
	"testing"
	"time"
)

func TestAutoReplyPeriodSetting(t *testing.T) {
	c, err := LoadConfig("", env{"PARLEY_AUTOREPLY_PERIOD": "2h"}.get)
	if err != nil || c.AutoReplyPeriod != 2*time.Hour || c.Source("PARLEY_AUTOREPLY_PERIOD") != "environment" {
		t.Fatalf("PARLEY_AUTOREPLY_PERIOD=2h: %s from %s, %v", c.AutoReplyPeriod, c.Source("PARLEY_AUTOREPLY_PERIOD"), err)
	}
	for _, bad := range []string{"0s", "-1h", "daily"} {
		if _, err := LoadConfig("", env{"PARLEY_AUTOREPLY_PERIOD": bad}.get); err == nil || !strings.Contains(err.Error(), "PARLEY_AUTOREPLY_PERIOD") {
			t.Errorf("PARLEY_AUTOREPLY_PERIOD=%s: %v", bad, err)
		}
	}
}
