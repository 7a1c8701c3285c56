model "MEMBER" {
  storage     = "d1"
  primary_key = ["org_id", "user_id"]
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "org_id" { type = integer }
  field "user_id" { type = integer }
  field "joined" {
    type        = timestamp
    required    = true
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  field "role" {
    type     = string
    required = true
  }
}

# The match defaults to every key column; joined is filled by D1.
seed "MEMBER" "owner" {
  data = { org_id = 1, user_id = 1, role = "owner" }
}

seed "MEMBER" "half" {
  data = { org_id = 1, role = "member" } # ERROR: Seed data lacks a match field
}
