package pipeline

import (
	"io"
	"strings"
	"testing"
)

// FuzzParseServiceConfig feeds arbitrary values to every setting, through the environment and
// through a flag: ParseServiceConfig never panics, and a Config it returns is valid.
func FuzzParseServiceConfig(f *testing.F) {
	for _, seed := range []string{"", "0", "-1", "1e309", "NaN", "a:1,b:2", "api=1,web=2", "1ns", "none", "postgres://u:p@h:1/d", "http://[::1]:80/x", "%zz", "\x00"} {
		f.Add(seed, uint8(0), false)
	}
	f.Fuzz(func(t *testing.T, value string, which uint8, asFlag bool) {
		for _, role := range []Role{MLService, PredictiveAlerter} {
			all := Settings(role)
			s := all[int(which)%len(all)]
			env := map[string]string{}
			var args []string
			if asFlag {
				args = []string{"-" + s.Flag + "=" + value}
			} else if len(s.Env) > 0 {
				env[s.Env[0]] = value
			}
			cfg, err := ParseServiceConfig(role, "fuzz", args, func(k string) string { return env[k] }, io.Discard)
			if err != nil {
				if strings.TrimSpace(err.Error()) == "" {
					t.Errorf("%s=%q: empty error", s.Flag, value)
				}
				continue
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("%s=%q: ParseServiceConfig returned an invalid Config: %v", s.Flag, value, err)
			}
		}
	})
}
