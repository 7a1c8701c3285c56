# USER: an account. The admin is seeded from the environment on first
# apply; the password is stored only as a bcrypt hash.

model "USER" {
  primary_key = "user_id"
  options {
    user_tracking = false # a user is not owned by another user
  }

  field "email" {
    type       = string
    required   = true
    validation = "email"
  }
  field "password_hash" {
    type     = string
    required = true
  }
  field "is_admin" {
    type    = boolean
    default = false
  }
  field "status" {
    type       = string
    default    = "active"
    validation = ["active", "suspended", "deleted"]
  }
  field "profile" { type = json }
  field "last_login" { type = timestamp }

  kv {
    namespace   = "USERS"
    key_pattern = "user:{id}"
  }
  d1 {
    table       = "users"
    sync_fields = ["email", "is_admin", "status", "last_login"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}

seed "USER" "admin" {
  condition = "if_missing"
  match     = ["email"]
  data = {
    email         = env.ADMIN_EMAIL
    password_hash = bcrypt(env.ADMIN_PASSWORD)
    is_admin      = true
    status        = "active"
    profile       = { name = "System Administrator" }
  }
}
