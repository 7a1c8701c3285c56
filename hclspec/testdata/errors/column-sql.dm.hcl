model "POST" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" {
    type          = integer
    autoincrement = true
  }
  field "title" {
    type     = string
    sql_type = "INTEGER" # ERROR: SQL type does not fit the field type
  }
  field "price" {
    type     = number
    sql_type = "DECIMAL(10, 2" # ERROR: Invalid sql_type
  }
  field "flag" {
    type        = boolean
    default     = false
    sql_default = "0" # ERROR: Both default and sql_default
  }
  field "body" {
    type        = text
    sql_default = "lower('x')" # ERROR: Invalid sql_default
  }
  field "slug" {
    type  = string
    check = "length(slug) < 10); DROP TABLE post; --" # ERROR: Invalid check
  }
  field "name" {
    type    = string
    collate = "FRENCH" # ERROR: Invalid collation
  }
  field "owner" {
    type          = integer
    autoincrement = true # ERROR: autoincrement on a column that is not the key
    references    = "users.id.x" # ERROR: Invalid references
    on_delete     = "explode" # ERROR: Invalid on_delete
  }
  field "editor" {
    type      = integer
    on_update = "cascade" # ERROR: on_update without references
  }
  field "data" {
    type    = blob
    default = "AAAA" # ERROR: Default on a blob field
  }
  field "photo" {
    type     = blob
    sql_type = "TEXT" # ERROR: SQL type does not fit the field type
  }
  field "seen_at" {
    type        = timestamp
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  field "empty" {
    type  = string
    check = "" # ERROR: Empty check
  }
}

model "CHECKED" {
  storage = "d1"
  options { auth = false }
  field "qty" {
    type  = integer
    check = "qty > 0 AND quantity < 10" # WARNING: Unknown column in check
  }
  field "note" {
    type  = string
    check = "length(note) < 100 AND QTY IS NOT NULL AND typeof(rowid) = 'integer' AND note COLLATE NOCASE <> 'x'"
  }
  d1 {
    checks = ["qty <> CAST(note AS INTEGER)", "nope > 1"] # WARNING: Unknown column in check
  }
}
