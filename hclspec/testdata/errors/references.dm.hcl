model "ORG" {
  storage     = "d1"
  primary_key = "id"
  options { auth = false }
  field "id" { type = integer }
  d1 { table = "orgs" }
}

model "MEMBER" {
  storage     = "d1"
  primary_key = ["org_id", "user_id"]
  options {
    auth          = false
    user_tracking = false
  }
  field "org_id" {
    type       = integer
    references = "orgs.id"
  }
  field "user_id" {
    type       = integer
    references = "users.id" # a table no model declares: not checked
  }
  field "team" { # WARNING: Foreign key does not match
    type       = integer
    references = "orgs.team_id"
  }
}

model "NOTE" {
  storage = "d1"
  options { auth = false }
  field "org" { type = integer }
  field "member" { # WARNING: Foreign key does not match
    type       = integer
    references = "MEMBER"
  }
  d1 {
    foreign_key { # WARNING: Foreign key does not match
      columns    = ["org"]
      references = "member"
    }
    foreign_key {
      columns    = ["org"]
      references = "orgs"
    }
  }
}
