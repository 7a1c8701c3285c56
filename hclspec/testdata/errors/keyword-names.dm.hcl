# SQLite keywords are valid names (dmplan quotes every identifier it
# writes); those that reach D1 get a warning for hand-written SQL.
model "ORDER" { # WARNING: SQLite keyword as a table name
  field "total" { type = number }
}

model "ENTRY" {
  field "key" { type = string } # WARNING: SQLite keyword as a column name
  field "action" { type = string } # WARNING: SQLite keyword as a column name
  field "values" { type = json }
  field "plan" { type = text }
  field "query" { type = string }
  d1 {
    table       = "view" # WARNING: SQLite keyword as a table name
    sync_fields = ["key", "action"]
    index "select" { columns = ["key"] }
  }
}

model "ROW" {
  primary_key = "match" # WARNING: SQLite keyword as a column name
  field "first" { type = string }
  d1 {
    table = "row_items"
    sync_fields = []
  }
}
