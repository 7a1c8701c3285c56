model "PAGE" {
  options {
    timestamps    = "yes" # ERROR: Invalid option value
    soft_delete   = false
    user_tracking = 1 # ERROR: Invalid option value
    audit         = true # ERROR: Unsupported argument
  }
  field "title" { type = string }
}
