# The adoption language: D1-only tables another tool made (an integer
# autoincrement key, declared SQL types, a SQL default, a blob, a composite
# key) and a D1+KV model with blobs and an integer key.

project "app" {
  binding_prefix = "APP_"
}

model "EVENT" {
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
  field "kind" {
    type       = string
    required   = true
    sql_type   = "VARCHAR(16)"
    validation = ["click", "view"]
  }
  field "payload" { type = blob }
  field "score" {
    type     = number
    sql_type = "DECIMAL(10,2)"
  }
  field "seen" {
    type     = boolean
    required = true
    default  = false
    sql_type = "BOOLEAN"
  }
  field "meta" { type = json }
  field "at" {
    type        = timestamp
    required    = true
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  d1 { table = "events" }
}

model "MEMBERSHIP" {
  storage     = "d1"
  primary_key = ["org_id", "user_id"]
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "org_id" { type = string }
  field "user_id" { type = string }
  field "role" { type = string }
  d1 {
    table         = "memberships"
    without_rowid = true
  }
}

model "FILE" {
  options {
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "name" {
    type     = string
    required = true
  }
  field "data" {
    type     = blob
    required = true
  }
  field "thumb" { type = blob }
  kv {
    namespace   = "FILES"
    key_pattern = "file:{id}"
  }
  d1 {
    table       = "files"
    sync_fields = ["name", "thumb"]
  }
}

model "COUNTER" {
  primary_key = "id"
  options {
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  field "n" {
    type     = integer
    required = true
  }
  kv { namespace = "COUNTERS" }
  d1 { sync_fields = ["n"] }
}
