model "USER" {
  options { user_tracking = false }
  field "email" { type = string }
}

seed "USERS" "admin" { # ERROR: Unknown model
  data = { email = "a@example.com" }
}
seed "USER" "admin" {
  condition = "if_absent" # ERROR: Unknown seed condition
  data      = { user_id = "admin", email = "a@example.com" }
}
