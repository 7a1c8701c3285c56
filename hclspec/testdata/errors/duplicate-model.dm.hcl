model "PAGE" {
  field "title" { type = string }
}

model "PAGE" { # ERROR: Duplicate model declaration
  field "url" { type = string }
}
