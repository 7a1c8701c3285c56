# What SQLite refuses in a CHECK (when it creates the table, or on every
# write) and in a DEFAULT is refused here, with its place, instead of
# failing the apply.
model "SHEET" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  field "a" {
    type  = integer
    check = "a IN (SELECT id FROM sheet)" # ERROR: Invalid check
  }
  field "b" {
    type  = integer
    check = "b > ?1" # ERROR: Invalid check
  }
  field "c" {
    type  = integer
    check = "count(c) > 0" # ERROR: Invalid check
  }
  field "d" {
    type  = string
    check = "d < datetime('now', '+1 day')" # ERROR: Invalid check
  }
  field "e" {
    type        = integer
    sql_default = "(a + 1)" # ERROR: Invalid sql_default
  }
  field "f" {
    type        = integer
    sql_default = "(:f)" # ERROR: Invalid sql_default
  }
  # A constraint word ends a type in SQLite's grammar: the column would
  # never match the declaration.
  field "t1" {
    type     = string
    sql_type = "TEXT COLLATE NOCASE" # ERROR: Invalid sql_type
  }
  field "t2" {
    type     = string
    sql_type = "VARCHAR(255) NOT NULL" # ERROR: Invalid sql_type
  }
  field "t3" {
    type     = string
    sql_type = "TEXT AS" # ERROR: Invalid sql_type
  }
  # Accepted: SQLite takes these.
  field "t4" {
    type     = string
    sql_type = "CHARACTER VARYING (20)"
  }
  field "t5" {
    type     = integer
    sql_type = "UNSIGNED BIG INT"
  }
  field "g" {
    type        = string
    sql_default = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
    check       = "g <> 'now' AND max(length(g), 1) < 40 AND g > date('2020-01-01')"
  }
  field "h" {
    type        = integer
    sql_default = "(abs(random()) % 100)"
  }
  d1 {
    table  = "sheet"
    checks = [
      "a > 0",
      "(SELECT 1) = 1", # ERROR: Invalid check
      "julianday('now') > 0", # ERROR: Invalid check
    ]
  }
}
