model "PAGE" {
  field "rank" {
    type       = integer
    validation = ["1", "2"] # ERROR: Enum on a non-string field
  }
  field "status" {
    type       = string
    validation = ["a", "b", "a"] # ERROR: Duplicate enum value
  }
  field "kind" {
    type       = string
    validation = [] # ERROR: Empty enum
  }
  field "level" {
    type       = string
    validation = ["low", 2] # ERROR: Invalid value
  }
}
