model "PAGE" {
  field "rank" {
    type       = integer
    validation = ["1"] # ERROR: Invalid value
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
  field "flag" {
    type       = boolean
    validation = ["true"] # ERROR: Enum on a non-string field
  }
  field "priority" {
    type       = integer
    default    = 2
    validation = [1, 2, 3]
  }
  field "stars" {
    type       = integer
    validation = [1, 1.5] # ERROR: Invalid value
  }
  field "tier" {
    type       = integer
    validation = [1, 2, 1.0] # ERROR: Duplicate enum value
  }
  field "retries" {
    type       = integer
    default    = 5 # ERROR: Default not in enum
    validation = [0, 1, 3]
  }
  field "ratio" {
    type       = number
    default    = 0.5
    validation = [0.25, 0.5, 1]
  }
  field "empty_numbers" {
    type       = number
    validation = [] # ERROR: Empty enum
  }
}
