model "PAGE" {
  field "user_id" { type = string } # ERROR: Field name collides with a built-in field
  field "page_id" { type = json } # ERROR: Invalid key type
  field "_auth" { type = array } # ERROR: Field name collides with a built-in field
}

model "NOTE" {
  primary_key = "created_at" # ERROR: Primary key collides with a built-in field
  field "body" { type = text }
}

model "LOG" {
  options { timestamps = false }
  field "created_at" { type = timestamp } # a plain field when the option is off
}
