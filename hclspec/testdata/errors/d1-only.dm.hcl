model "MEMBER" {
  storage     = "d1"
  primary_key = ["org_id", "user_ref", "org_id"] # ERROR: Duplicate key column
  kv { namespace = "MEMBERS" } # ERROR: kv block on a D1-only model
  options { # ERROR: auth on a D1-only model
    timestamps    = false
    soft_delete   = false
    user_tracking = false
  }
  field "org_id" { type = integer }
  field "user_ref" { type = json } # ERROR: Invalid key type
  d1 {
    sync_fields = ["org_id"] # ERROR: sync_fields on a D1-only model
  }
}

model "SEAT" {
  storage     = "d1"
  primary_key = ["org_id", "seat_no"] # ERROR: Undeclared key column
  options { auth = false }
  field "org_id" {
    type    = integer
    default = 1 # ERROR: Default on a key column
  }
}

model "TAG" {
  primary_key = ["a", "b"] # ERROR: Composite key on a model with a KV side
  field "a" { type = string }
  field "b" { type = string }
  field "label" {
    type     = string
    sql_type = "VARCHAR(64)" # ERROR: Column attribute on a field that is not a column
  }
}

model "NOTE" {
  storage = "kv" # ERROR: Invalid storage
  primary_key = [] # ERROR: Empty primary key
}

model "LOG" {
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
    sql_type      = "INT"
    autoincrement = true # ERROR: autoincrement on a column that is not INTEGER
  }
  field "at" {
    type     = timestamp
    sql_type = "DATETIME" # ERROR: Type not allowed in a STRICT table
  }
  field "n" { type = integer }
  field "m" { type = integer }
  d1 {
    strict = true
    checks = ["n < m", "(n"] # ERROR: Invalid check
    unique = [["n", "m"], ["n", "zz"]] # ERROR: Unknown constraint column
    foreign_key {
      columns    = ["n", "m"]
      references = "other(a)" # ERROR: Foreign key column count
    }
    foreign_key {
      columns    = ["n"]
      references = "other"
      on_delete  = "nothing" # ERROR: Invalid on_delete
    }
  }
}

model "ROWLESS" {
  storage     = "d1"
  primary_key = "id"
  options { auth = false }
  field "id" {
    type          = integer
    autoincrement = true # ERROR: autoincrement in a WITHOUT ROWID table
  }
  d1 { without_rowid = true }
}
