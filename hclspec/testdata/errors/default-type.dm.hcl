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
  field "huge" {
    type    = number
    default = 1e400 # ERROR: Invalid default value
  }
  field "huge_negative" {
    type    = number
    default = -1e309 # ERROR: Invalid default value
  }
  field "tiny" {
    type    = number
    default = 1e-400
  }
  field "max_float" {
    type    = number
    default = 1.7976931348623157e308
  }
  field "big_count" {
    type    = integer
    default = 9223372036854775808 # ERROR: Invalid default value
  }
  field "max_count" {
    type    = integer
    default = 9223372036854775807 # ERROR: Invalid default value
  }
  field "safe_count" {
    type    = integer
    default = 9007199254740991
  }
  field "settings" {
    type    = json
    default = { limit = 1e400 } # ERROR: Invalid default value
  }
  field "title" {
    type    = string
    default = upper("x") # ERROR: Function calls not allowed
  }
  field "owner" {
    type    = string
    default = self.user_id # ERROR: Variables not allowed
  }
  field "nested_64" {
    type    = json
    default = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
  }
  field "nested_65" {
    type    = json
    default = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] # ERROR: Invalid default value
  }
}
