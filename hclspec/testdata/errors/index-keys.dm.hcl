model "MEMBER" {
  field "email" { type = string }
  field "name" { type = string }
  field "notes" { type = text }
  field "score" { type = integer }
  d1 {
    sync_fields = ["email", "name", "score"]
    index "by_email" { keys = ["lower(email)", "created_at DESC"] }
    index "by_name" { keys = ["name COLLATE NOCASE", "score ASC"] }
    index "both" { # no error here: the error is on keys
      columns = ["email"]
      keys = ["email"] # ERROR: Both columns and keys
    }
    index "neither" { unique = true } # ERROR: Index without columns
    index "no_keys" { keys = [] } # ERROR: Index without keys
    index "junk" { keys = ["email DESC DESC"] } # ERROR: Invalid index expression
    index "pair" { keys = ["email, name"] } # ERROR: Invalid index key
    index "open" { keys = ["lower(email"] } # ERROR: Invalid index expression
    index "quote" { keys = ["'abc"] } # ERROR: Invalid index key
    index "coll" { keys = ["name COLLATE german"] } # ERROR: Unknown collation
    index "unsynced" { keys = ["lower(notes)"] } # ERROR: Index column not synced
    index "unknown" { keys = ["emial"] } # ERROR: Unknown column in index
    index "rand" { keys = ["email", "random()"] } # ERROR: Invalid index expression
    index "dup" { keys = ["email", "EMAIL"] } # ERROR: Duplicate index key
    index "sub" { keys = ["(SELECT 1)"] } # ERROR: Invalid index expression
    index "const" { keys = ["'email'"] } # ERROR: Invalid index expression
    index "const2" { keys = ["1 + 2"] } # ERROR: Invalid index expression
  }
}

model "POST" {
  field "slug" { type = string }
  field "status" { type = string }
  options { soft_delete = false }
  d1 {
    sync_fields = ["slug", "status"]
    index "live" {
      columns = ["slug"]
      unique = "live" # ERROR: unique = "live" without soft delete
    }
    index "maybe" {
      columns = ["slug"]
      unique = "yes" # ERROR: Invalid value
    }
    index "w1" {
      columns = ["slug"]
      where = "status = 'x'; DROP TABLE post" # ERROR: Invalid index condition
    }
    index "w2" {
      columns = ["slug"]
      where = "WHERE status = 'x'" # ERROR: Invalid index condition
    }
    index "w3" {
      columns = ["slug"]
      where = "status = \"published\"" # ERROR: Unknown column in index
    }
    index "w4" {
      columns = ["slug"]
      where = "status IN (SELECT status FROM other)" # ERROR: Invalid index condition
    }
    index "w5" {
      columns = ["slug"]
      where = "(status = 'a'" # ERROR: Invalid index condition
    }
    index "w6" {
      columns = ["slug"]
      where = "status = 'a" # ERROR: Invalid index condition
    }
    index "w7" {
      columns = ["slug"]
      where = "created_at > date('now')" # ERROR: Invalid index condition
    }
    index "ok" {
      columns = ["slug"]
      where = "status <> 'draft' AND slug IS NOT NULL"
    }
  }
}
