model "PAGE" {
  field "url" {
    type       = string
    validation = "uri" # ERROR: Unknown validator
  }
  field "count" {
    type       = integer
    validation = "email" # ERROR: Validator on a non-string field
  }
  field "id2" {
    type       = string
    validation = "uuid"
  }
  field "slug" {
    type       = string
    validation = 42 # ERROR: Invalid validation
  }
}
