model "PAGE" {
  field "count" {
    type    = integer
    default = "three" # ERROR: Invalid default value
  }
  field "ratio" {
    type    = integer
    default = 1.5 # ERROR: Invalid default value
  }
  field "done" {
    type    = boolean
    default = 1 # ERROR: Invalid default value
  }
  field "due_at" {
    type    = timestamp
    default = "yesterday" # ERROR: Invalid default value
  }
  field "tags" {
    type    = array
    default = "news" # ERROR: Invalid default value
  }
  field "score" {
    type    = number
    default = 0.5
  }
  field "title" {
    type    = string
    default = upper("x") # ERROR: Function calls not allowed
  }
  field "owner" {
    type    = string
    default = self.user_id # ERROR: Variables not allowed
  }
}
