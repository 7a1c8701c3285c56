package applier

import (
	"os"
	"os/user"
)

// defaultActor names who applies: $DMPLAN_ACTOR when set (CI sets it to the
// pipeline or person), else user@host.
func defaultActor() string {
	if a := os.Getenv("DMPLAN_ACTOR"); a != "" {
		return a
	}
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		name = v
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}
