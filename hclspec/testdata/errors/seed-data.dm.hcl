model "USER" {
  options { user_tracking = false }
  field "email" {
    type     = string
    required = true
  }
  field "bio" { type = text }
  field "age" { type = integer }
  d1 { sync_fields = ["email"] }
}

seed "USER" "admin" {
  match = [
    "email",
    "mail", # ERROR: Unknown match field
    "bio",  # ERROR: Match field not synced
  ]
  data = {
    email      = env.ADMIN_EMAIL
    name       = "Admin"      # ERROR: Unknown field in seed data
    age        = "forty"      # ERROR: Invalid seed value
    bio        = self.bio     # ERROR: Invalid reference
    created_at = timestamp()  # ERROR: Automatic field in seed data
  }
}
seed "USER" "other" {
  data = "admin" # ERROR: Invalid seed data
}
seed "USER" "third" {
  data = { user_id = "u3", bio = "hi" } # ERROR: Missing required field in seed data
}
seed "USER" "fourth" {
  condition = "always" # the match defaults to the primary key, which data lacks
  data      = { email = "x@example.com" } # ERROR: Seed data lacks a match field
}

model "TASK" {
  field "title" { type = string }
}
seed "TASK" "welcome" {
  data = { task_id = "t1", title = "Read the docs" } # ERROR: Missing required field in seed data
}
seed "TASK" "owned" {
  data = { task_id = "t2", title = "Owned", user_id = "u1" }
}
