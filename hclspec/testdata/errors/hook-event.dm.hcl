model "PAGE" {
  field "status" { type = string }
  hook "on_save" { # ERROR: Unknown hook event
    log { message = "saved" }
  }
  hook "after_create" {} # ERROR: Hook without action
}
