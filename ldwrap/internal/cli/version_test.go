package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReleaseVersion(t *testing.T) {
	for v, want := range map[string]string{
		"v0.1.0":              "0.1.0",
		"v1.12.3":             "1.12.3",
		"v0.2.0-rc.1":         "0.2.0-rc.1",
		"v0.2.0-beta":         "0.2.0-beta",
		"(devel)":             "",
		"":                    "",
		"0.1.0":               "",
		"v0.1":                "",
		"v0.1.x":              "",
		"v0.1.0+dirty":        "",
		"v2.0.0+incompatible": "",
		// Pseudo-versions: no tag before the commit, a tag before it, a
		// pre-release tag before it; and Go 1.24's stamp of a checkout.
		"v0.0.0-20261207212325-d7c7daf0a1b2":        "",
		"v0.1.1-0.20261207212325-d7c7daf0a1b2":      "",
		"v0.2.0-rc.1.0.20261207212325-d7c7daf0a1b2": "",
		"v0.0.0-20261207212325-d7c7daf0a1b2+dirty":  "",
		// Not pseudo: too short a hash, a time with letters.
		"v0.2.0-20261207212325-d7c7daf0a1b":  "0.2.0-20261207212325-d7c7daf0a1b",
		"v0.2.0-2026120721232x-d7c7daf0a1b2": "0.2.0-2026120721232x-d7c7daf0a1b2",
	} {
		got, ok := releaseVersion(v)
		assert.Equal(t, want, got, v)
		assert.Equal(t, want != "", ok, v)
	}
}
