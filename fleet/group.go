package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"

	"github.com/dmplan/dmplan/planner"
)

// Status is where one database of a fleet stands against the spec.
type Status string

// Statuses, in the order views list their groups.
const (
	// StatusChanges: the plan has executable steps and nothing blocked.
	StatusChanges Status = "changes"
	// StatusCreate: the database is listed, does not exist, and the fleet
	// creates it (create = true); its plan is the plan of an empty
	// database.
	StatusCreate Status = "create"
	// StatusBlocked: the plan has blocked steps.
	StatusBlocked Status = "blocked"
	// StatusUnreachable: the database could not be inspected (Error).
	StatusUnreachable Status = "unreachable"
	// StatusMissing: the database is listed, does not exist, and the
	// fleet does not create databases.
	StatusMissing Status = "missing"
	// StatusCurrent: nothing to do.
	StatusCurrent Status = "current"
)

var statusOrder = map[Status]int{StatusChanges: 0, StatusCreate: 1, StatusBlocked: 2, StatusUnreachable: 3, StatusMissing: 4, StatusCurrent: 5}

// Group is the databases of a fleet whose plans are the same.
type Group struct {
	// Key identifies the plan: a hash of its steps and notes without ids,
	// times, row estimates or the database's name.
	Key    string `json:"key"`
	Status Status `json:"status"`
	// Plan is the plan of the group's first database (nil for
	// unreachable and missing databases).
	Plan *planner.Plan `json:"plan,omitempty"`
	// Databases are the names, sorted.
	Databases []string `json:"databases"`
}

// Count is the number of databases in the group.
func (g *Group) Count() int { return len(g.Databases) }

// groupKey is the key of a database's plan: what it would do, with what
// differs between equal plans left out (ids, times, row estimates,
// reasons quoting counts) and the database's name, which a tenant's KV key
// prefix puts in steps, replaced.
func groupKey(st Status, p *planner.Plan, database string) string {
	if p == nil {
		return string(st)
	}
	type step struct {
		A    string   `json:"a"`
		T    string   `json:"t"`
		M    string   `json:"m,omitempty"`
		SQL  []string `json:"sql,omitempty"`
		Code string   `json:"c,omitempty"`
	}
	type note struct{ Code, Target string }
	var v struct {
		S     Status
		Steps []step
		Notes []note
	}
	v.S = st
	for _, s := range p.Steps {
		v.Steps = append(v.Steps, step{A: s.Action.String(), T: s.Target, M: s.Model, SQL: s.SQL, Code: s.Code})
	}
	for _, n := range p.Notes {
		v.Notes = append(v.Notes, note{n.Code, n.Target})
	}
	b, _ := json.Marshal(v)
	b = []byte(strings.ReplaceAll(string(b), database+"/", "{tenant}/"))
	sum := sha256.Sum256(b)
	return string(st) + ":" + hex.EncodeToString(sum[:8])
}

// group gathers the databases by key. Each database's Group is set to the
// index of its group in the result. It is linear in the number of
// databases.
func group(dbs []*DatabasePlan) []*Group {
	byKey := map[string]*Group{}
	var groups []*Group
	for _, d := range dbs {
		g, ok := byKey[d.key]
		if !ok {
			g = &Group{Key: d.key, Status: d.Status, Plan: d.Plan}
			byKey[d.key] = g
			groups = append(groups, g)
		}
		g.Databases = append(g.Databases, d.Database.Name)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if statusOrder[a.Status] != statusOrder[b.Status] {
			return statusOrder[a.Status] < statusOrder[b.Status]
		}
		if len(a.Databases) != len(b.Databases) {
			return len(a.Databases) > len(b.Databases)
		}
		return a.Databases[0] < b.Databases[0]
	})
	index := make(map[string]int, len(groups))
	for i, g := range groups {
		sort.Strings(g.Databases)
		index[g.Key] = i
	}
	for _, d := range dbs {
		d.Group = index[d.key]
	}
	return groups
}
