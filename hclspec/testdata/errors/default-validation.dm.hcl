model "PAGE" {
  field "url" {
    type       = string
    required   = true
    default    = "not a url" # ERROR: Default fails validation
    validation = "url"
  }
  field "contact" {
    type       = string
    validation = "email"
    default    = "ops@example.com"
  }
  field "status" {
    type       = string
    default    = "done" # ERROR: Default not in enum
    validation = ["pending", "completed"]
  }
}
