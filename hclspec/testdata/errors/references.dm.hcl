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

# SQLite needs the parent columns of a foreign key to be its primary key
# or UNIQUE (a constraint or a unique index over every row).
model "ACCOUNT" {
  storage     = "d1"
  primary_key = "id"
  options { auth = false }
  field "id" { type = integer }
  field "email" { type = string }
  field "handle" {
    type   = string
    unique = true
  }
  field "slug" { type = string }
  field "tenant" { type = string }
  field "code" { type = string }
  d1 {
    table  = "accounts"
    unique = [["tenant", "slug"]]
    index "code" {
      columns = ["code"]
      unique  = true
    }
  }
}

model "LINK" {
  storage = "d1"
  options { auth = false }
  field "by_email" { # WARNING: Foreign key does not match
    type       = string
    references = "accounts.email"
  }
  field "by_handle" {
    type       = string
    references = "accounts.handle"
  }
  field "by_code" {
    type       = string
    references = "accounts.code"
  }
  field "by_id" {
    type       = integer
    references = "accounts.id"
  }
  field "slug" { type = string }
  field "tenant" { type = string }
  d1 {
    foreign_key {
      columns    = ["tenant", "slug"]
      references = "accounts(slug, tenant)"
    }
    foreign_key { # WARNING: Foreign key does not match
      columns    = ["slug"]
      references = "accounts(slug)"
    }
  }
}
