# Tables another tool made, described exactly (the adoption language).
model "USER" {
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
  field "email" {
    type     = string
    required = true
    sql_type = "VARCHAR(255)"
    collate  = "nocase"
    unique   = true
  }
  field "age" {
    type  = integer
    check = "age >= 0"
  }
  field "created_at" {
    type        = timestamp
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  field "avatar" { type = blob }
  d1 { table = "users" }
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
  field "role" {
    type        = string
    sql_default = "'member'"
  }
  field "user_id" {
    type       = integer
    references = "users.id"
    on_delete  = "cascade"
  }
  field "org_id" { type = integer }
  field "slug" { type = string }
  d1 {
    table         = "memberships"
    strict        = true
    without_rowid = true
    checks        = ["role IN ('member', 'admin')"]
    unique        = [["org_id", "slug"]]
    foreign_key {
      columns    = ["org_id", "slug"]
      references = "orgs(id, slug)"
      on_delete  = "set_null"
      on_update  = "NO ACTION"
    }
  }
}

model "NOTE" {
  primary_key = "id"
  field "id" { type = integer }
  field "title" {
    type     = string
    sql_type = "TEXT"
    check    = "length(title) <= 200"
  }
  d1 { sync_fields = ["title"] }
}
